package dev.poolctl.pooler;

import dev.poolctl.pooler.log.PoolerLog;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A file that holds the pid of the process that owns something: the {@code pidfile}, and the
 * {@code .s.PGSQL.<port>.lock} beside the unix socket (PostgreSQL's socket lock file).
 *
 * <p>Taken as PgBouncer's {@code check_pidfile}/{@code write_pidfile}: created with O_EXCL (so two starting
 * processes cannot both win) and never through a symlink (a planted link in a shared directory such as /tmp must not
 * make the pooler overwrite another file); an existing file with a live pid refuses, one with a dead pid is stale
 * and replaced, one with anything else is refused rather than guessed at.
 */
public final class PidFile implements AutoCloseable {
    /** Taken by this process: a lock file with our own pid that we do not hold is a leftover of an earlier process. */
    private static final Set<Path> HELD = ConcurrentHashMap.newKeySet();
    /** A pid is at most 7 digits on Linux; more than this is not a pidfile. */
    private static final int MAX_READ = 64;
    /**
     * {@code start -R}: the running pooler this process replaces. Its live pid in a file is not a refusal: the new
     * process writes its own pid over it, and the old one, at exit, removes only a file that still holds its pid.
     */
    private static volatile long takeoverFrom;

    private final Path path;
    private final long pid = ProcessHandle.current().pid();

    private PidFile(Path path) {
        this.path = path;
    }

    /** The pid in an existing file, or why there is none, as {@link #inspect} sees it. */
    public record Holder(long pid, boolean alive, String problem) {}

    /**
     * What holds {@code path}: null when the file does not exist; else the pid and whether it is alive, or a
     * {@code problem} (symlink, not a pid) that refuses a start.
     */
    public static Holder inspect(Path path) throws IOException {
        if (Files.isSymbolicLink(path)) {
            return new Holder(0, false, "is a symbolic link");
        }
        byte[] head;
        try (InputStream in = Files.newInputStream(path, LinkOption.NOFOLLOW_LINKS)) {
            head = in.readNBytes(MAX_READ);
        } catch (NoSuchFileException e) {
            return null;
        }
        String text = new String(head, StandardCharsets.US_ASCII);
        int eol = text.indexOf('\n');
        String first = (eol < 0 ? text : text.substring(0, eol)).trim();
        if (first.isEmpty() || first.length() > 10 || !first.chars().allMatch(c -> c >= '0' && c <= '9')
                || Long.parseLong(first) == 0) {
            return new Holder(0, false, first.isEmpty() ? "is empty" : "does not hold a pid");
        }
        long pid = Long.parseLong(first);
        boolean alive;
        if (pid == ProcessHandle.current().pid()) {
            alive = HELD.contains(path.toAbsolutePath().normalize());
        } else {
            alive = ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
        }
        return new Holder(pid, alive, null);
    }

    /** Files held by {@code pid} are taken over rather than refused (online restart; 0 = none). */
    public static void takeOverFrom(long pid) {
        takeoverFrom = pid;
    }

    /** The pid in {@code path} when that process is alive, else 0 (no file, a dead pid, or no pid at all). */
    public static long livePid(Path path) {
        try {
            Holder h = inspect(path);
            return h != null && h.problem() == null && h.alive() ? h.pid() : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    /**
     * Writes our pid to {@code path}; {@code what} names the file in messages ("pidfile", "unix socket lock file").
     *
     * @throws IOException naming the file and why it is not ours: a live owner, a symlink, content that is no pid
     */
    public static PidFile acquire(Path path, String what, PoolerLog log) throws IOException {
        Path key = path.toAbsolutePath().normalize();
        for (int attempt = 0; attempt < 3; attempt++) {
            try (SeekableByteChannel ch = Files.newByteChannel(path, Set.of(StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS),
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r--r--")))) {
                ByteBuffer pidLine = ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII));
                while (pidLine.hasRemaining()) {
                    ch.write(pidLine);
                }
                HELD.add(key);
                return new PidFile(key);
            } catch (FileAlreadyExistsException exists) {
                Holder holder = inspect(path);
                if (holder == null) {
                    continue; // removed meanwhile: try again
                }
                if (holder.problem() != null) {
                    throw new IOException(what + " '" + path + "' exists and " + holder.problem()
                            + "; refusing to touch it (remove it if no pooler is running)");
                }
                if (holder.alive() && holder.pid() == takeoverFrom && takeoverFrom != 0) {
                    log.log("taking over " + what + " '" + path + "' from pid " + holder.pid());
                    Files.deleteIfExists(path);
                    continue;
                }
                if (holder.alive()) {
                    throw new IOException(what + " '" + path + "' exists, another instance running? (pid "
                            + holder.pid() + ")");
                }
                log.log("stale " + what + " '" + path + "' of pid " + holder.pid() + ", removing");
                Files.deleteIfExists(path); // does not follow links; the file was checked to be a regular one
            }
        }
        throw new IOException(what + " '" + path + "' keeps reappearing, another instance starting?");
    }

    /** Whether the file still holds our pid: not after a new process took it over (online restart). */
    public boolean stillOurs() {
        try {
            Holder h = inspect(path);
            return h != null && h.problem() == null && h.pid() == pid;
        } catch (IOException e) {
            return false;
        }
    }

    /** Removes the file if it still holds our pid (a process that took over a stale copy keeps its own). */
    @Override
    public void close() {
        HELD.remove(path);
        try {
            if (stillOurs()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException ignored) {
            // best effort at exit: a leftover file with a dead pid is taken over at the next start
        }
    }
}
