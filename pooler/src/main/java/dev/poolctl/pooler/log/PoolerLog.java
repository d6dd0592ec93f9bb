package dev.poolctl.pooler.log;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Queue;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Log lines in PgBouncer's shape, {@code 2026-11-26 14:07:13.943 UTC [PID] LOG C-0x1a: db/user@addr:port msg},
 * because operators grep for them. Written to stderr (unless quiet) and to {@code logfile}.
 *
 * <p>The event loop never waits for the disk: {@link #write} formats the line and offers it to a bounded queue that
 * one writer thread drains. A slow or stuck disk (a full NFS mount, a FIFO nobody reads) fills the queue; further
 * lines are dropped and counted, and the count is logged once the writer catches up. PgBouncer writes
 * synchronously and stalls every client instead. What must come after a line (a client's error) waits for it
 * with {@link #afterWritten}.
 */
public final class PoolerLog implements AutoCloseable {
    public enum Level { FATAL, ERROR, WARNING, LOG, DEBUG, NOISE }

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS 'UTC'");
    /** Lines waiting for the writer; past this they are dropped. About 2 MB of typical lines. */
    static final int QUEUE_LINES = 16_384;
    /** One line's cap: a message that quotes client input (a query, a parameter) must not grow the queue unbounded. */
    static final int MAX_LINE_CHARS = 8_192;
    /** How long close() lets the writer drain the queue; a disk that is stuck does not hold up the exit longer. */
    private static final long CLOSE_DRAIN_MILLIS = 2_000;

    private final long pid = ProcessHandle.current().pid();
    private final boolean toStderr;
    /** The -v flags given at start: the floor under the {@code verbose} setting. */
    private final int flags;
    private volatile int verbose;
    private final BlockingQueue<String> queue = new ArrayBlockingQueue<>(QUEUE_LINES);
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong droppedTotal = new AtomicLong();
    private final AtomicLong enqueued = new AtomicLong();
    private final Object progress = new Object();
    private volatile long processed;
    /** A logfile opened by {@link #logfile(Path)} for the writer to switch to; {@link #CLOSE_FILE} closes it. */
    private final AtomicReference<PrintStream> nextFile = new AtomicReference<>();
    private static final PrintStream CLOSE_FILE = new PrintStream(OutputStream.nullOutputStream());
    private volatile Path filePath;
    /** A syslog sender for the writer to switch to ({@link #syslog}); an empty Optional turns syslog off. */
    private final AtomicReference<java.util.Optional<Syslog>> nextSyslog = new AtomicReference<>();
    private volatile boolean closed;
    private final Thread writer;
    /** The writer thread's own: the syslog sender in use, and whether its last send failed. */
    private Syslog syslog;
    private boolean syslogFailing;
    /** What waits for lines to be written ({@link #afterWritten}), in about the order of their targets. */
    private final Queue<Waiter> waiters = new ConcurrentLinkedQueue<>();

    /** A class, not a record: a waiter is removed by identity, so exactly one thread runs it. */
    private static final class Waiter {
        final long target;
        final Runnable then;
        final Executor on;

        Waiter(long target, Runnable then, Executor on) {
            this.target = target;
            this.then = then;
            this.on = on;
        }
    }

    public PoolerLog(boolean toStderr, int verbose) {
        this.toStderr = toStderr;
        this.flags = verbose;
        this.verbose = verbose;
        writer = new Thread(this::drain, "poolctl-log-writer");
        writer.setDaemon(true); // a stuck disk must not keep the process alive after close()
        writer.start();
    }

    /**
     * Opens (or reopens, on RELOAD and SIGHUP) the logfile; null closes it. The file is opened here, so that an
     * unwritable path fails the caller (start, reload), never on the event loop; the writer switches to it before its
     * next line. Reopening the same path after logrotate moved the file starts a new file.
     */
    public void logfile(Path path) throws IOException {
        PrintStream next = CLOSE_FILE;
        if (path != null) {
            OutputStream out = Files.newOutputStream(path, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            next = new PrintStream(out, true, StandardCharsets.UTF_8);
        }
        filePath = path;
        PrintStream unused = nextFile.getAndSet(next);
        if (unused != null) {
            unused.close(); // two reopens before the writer took the first: only the last counts
        }
        if (queue.offer("")) { // wakes the writer so the switch happens even when nothing else is logged
            enqueued.incrementAndGet();
        }
    }

    /**
     * PgBouncer's {@code syslog}, {@code syslog_ident} and {@code syslog_facility}, at start and on every reload:
     * from the next line on, lines also go to the syslog daemon at /dev/log (or not, with {@code on} false).
     *
     * @throws IllegalArgumentException an unknown facility
     * @throws IOException no native unix socket support
     */
    public void syslog(boolean on, String ident, String facility) throws IOException {
        syslog(on ? Syslog.DEV_LOG : null, ident, facility);
    }

    /** As {@link #syslog(boolean, String, String)} with the daemon's socket at {@code socket} (null: off). */
    void syslog(Path socket, String ident, String facility) throws IOException {
        java.util.Optional<Syslog> next = socket == null ? java.util.Optional.empty()
                : java.util.Optional.of(Syslog.open(socket, ident, facility));
        java.util.Optional<Syslog> unused = nextSyslog.getAndSet(next);
        if (unused != null) {
            unused.ifPresent(Syslog::close); // never used by the writer: it only closes what it took
        }
        if (queue.offer("")) {
            enqueued.incrementAndGet();
        }
    }

    public Path logfile() {
        return filePath;
    }

    public void log(String message) {
        write(Level.LOG, message);
    }

    public void warning(String message) {
        write(Level.WARNING, message);
    }

    public void error(String message) {
        write(Level.ERROR, message);
    }

    public void fatal(String message) {
        write(Level.FATAL, message);
    }

    public void debug(String message) {
        if (verbose >= 1) {
            write(Level.DEBUG, message);
        }
    }

    /** The {@code verbose} setting (ini, RELOAD, SET): the higher of it and the -v flags applies. */
    public void verboseSetting(int setting) {
        verbose = Math.max(flags, setting);
    }

    public boolean debugEnabled() {
        return verbose >= 1;
    }

    /** Lines dropped because the writer could not keep up, since start. */
    public long droppedLines() {
        return droppedTotal.get();
    }

    /** Formats the line and hands it to the writer thread; never blocks. */
    public void write(Level level, String message) {
        if (message.length() > MAX_LINE_CHARS) {
            message = message.substring(0, MAX_LINE_CHARS) + "... (" + message.length() + " chars)";
        }
        String line = line(level, message);
        if (closed || !queue.offer(line)) {
            dropped.incrementAndGet();
            droppedTotal.incrementAndGet();
        } else {
            enqueued.incrementAndGet();
        }
    }

    private String line(Level level, String message) {
        return TIME.format(ZonedDateTime.now(ZoneOffset.UTC)) + " [" + pid + "] " + level + " " + message;
    }

    /**
     * Runs {@code then} on {@code on} once every line logged before this call is written (or dropped); at once when
     * they are. Never blocks: a client's error goes out after the line that logs it, as with PgBouncer's synchronous
     * log, so whoever reads the log when the client sees the error finds the line there.
     */
    public void afterWritten(Runnable then, Executor on) {
        long target = enqueued.get();
        if (processed >= target || closed) {
            then.run();
            return;
        }
        waiters.add(new Waiter(target, then, on));
        runDue(); // the writer may have got there between the check and the add
    }

    private void runDue() {
        Waiter w;
        while ((w = waiters.peek()) != null && (processed >= w.target || closed)) {
            if (waiters.remove(w)) {
                try {
                    w.on.execute(w.then);
                } catch (RejectedExecutionException e) {
                    // the loop is shutting down: its connections close without their last message
                }
            }
        }
    }

    /**
     * Waits until every line logged before this call is written (or dropped), at most {@code timeoutMillis}:
     * for tests and tools that read the logfile right after an event. False on timeout.
     */
    public boolean flush(long timeoutMillis) throws InterruptedException {
        long target = enqueued.get();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        synchronized (progress) {
            while (processed < target) {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0) {
                    return false;
                }
                progress.wait(left);
            }
        }
        return true;
    }

    private void drain() {
        PrintStream file = null;
        try {
            while (true) {
                String line = queue.poll(100, TimeUnit.MILLISECONDS);
                PrintStream next = nextFile.getAndSet(null);
                if (next != null) {
                    if (file != null) {
                        file.close();
                    }
                    file = next == CLOSE_FILE ? null : next;
                }
                java.util.Optional<Syslog> nextSys = nextSyslog.getAndSet(null);
                if (nextSys != null) {
                    if (syslog != null) {
                        syslog.close();
                    }
                    syslog = nextSys.orElse(null);
                }
                if (line != null && !line.isEmpty()) { // "" only wakes the writer for a reopen
                    emit(file, line);
                }
                // Reported once the writer has room again, not after every line while it is still behind.
                if (dropped.get() > 0 && queue.size() < QUEUE_LINES / 2) {
                    emit(file, line(Level.WARNING, "log writer could not keep up: dropped " + dropped.getAndSet(0)
                            + " log lines"));
                }
                if (line == null) {
                    runDue();
                    if (closed) {
                        break;
                    }
                    continue;
                }
                synchronized (progress) {
                    processed++;
                    progress.notifyAll();
                }
                runDue();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (file != null) {
                file.close();
            }
            if (syslog != null) {
                syslog.close();
            }
        }
    }

    private void emit(PrintStream file, String line) {
        if (toStderr) {
            System.err.println(line);
        }
        if (file != null) {
            file.println(line);
        }
        if (syslog != null) {
            toSyslog(file, line);
        }
    }

    /** The line without its time and pid (syslog adds its own), at its level; a first failure is said once. */
    private void toSyslog(PrintStream file, String line) {
        int pidEnd = line.indexOf("] ");
        int levelEnd = pidEnd < 0 ? -1 : line.indexOf(' ', pidEnd + 2);
        if (levelEnd < 0) {
            return;
        }
        Level level = Level.valueOf(line.substring(pidEnd + 2, levelEnd));
        boolean sent = syslog.send(level, line.substring(levelEnd + 1));
        if (!sent && !syslogFailing) {
            String warning = line(Level.WARNING, "syslog: cannot send to " + syslog.target() + " (no syslog daemon,"
                    + " or it cannot keep up); dropping syslog lines until it answers");
            if (toStderr) {
                System.err.println(warning);
            }
            if (file != null) {
                file.println(warning);
            }
        }
        syslogFailing = !sent;
    }

    /** Writes what is queued (waiting at most about two seconds for a slow disk), then closes the logfile. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        try {
            flush(CLOSE_DRAIN_MILLIS);
            closed = true;
            PrintStream unused = nextFile.getAndSet(CLOSE_FILE);
            if (unused != null && unused != CLOSE_FILE) {
                unused.close();
            }
            writer.join(500);
            runDue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
