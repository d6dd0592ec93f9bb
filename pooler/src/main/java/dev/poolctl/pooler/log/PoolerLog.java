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

/**
 * Log lines in PgBouncer's shape, {@code 2026-11-26 14:07:13.943 UTC [PID] LOG C-0x1a: db/user@addr:port msg},
 * because operators grep for them. Written to stderr (unless quiet) and to {@code logfile}.
 */
public final class PoolerLog implements AutoCloseable {
    public enum Level { FATAL, ERROR, WARNING, LOG, DEBUG, NOISE }

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS 'UTC'");

    private final long pid = ProcessHandle.current().pid();
    private final boolean toStderr;
    private final int verbose;
    private PrintStream file;
    private Path filePath;

    public PoolerLog(boolean toStderr, int verbose) {
        this.toStderr = toStderr;
        this.verbose = verbose;
    }

    /** Opens (or reopens, on RELOAD) the logfile; null closes it. */
    public synchronized void logfile(Path path) throws IOException {
        if (file != null) {
            file.close();
            file = null;
        }
        filePath = path;
        if (path != null) {
            OutputStream out = Files.newOutputStream(path, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            file = new PrintStream(out, true, StandardCharsets.UTF_8);
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

    public boolean debugEnabled() {
        return verbose >= 1;
    }

    public synchronized void write(Level level, String message) {
        String line = TIME.format(ZonedDateTime.now(ZoneOffset.UTC)) + " [" + pid + "] " + level + " " + message;
        if (toStderr) {
            System.err.println(line);
        }
        if (file != null) {
            file.println(line);
        }
    }

    @Override
    public synchronized void close() {
        if (file != null) {
            file.close();
            file = null;
        }
    }
}
