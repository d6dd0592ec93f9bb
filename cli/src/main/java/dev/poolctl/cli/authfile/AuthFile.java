package dev.poolctl.cli.authfile;

import dev.poolctl.pooler.auth.Userlist;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.UnaryOperator;

/**
 * Edits a PgBouncer auth_file in place of a text editor: line by line, so that every line the edit does not touch
 * (comments, blank lines, other users, even lines the pooler skips) stays byte-for-byte as it was.
 *
 * <p>Each edit holds an exclusive lock on the sibling file {@code <name>.lock} (a {@link FileLock} across
 * processes, plus an in-JVM lock, since the JVM refuses a second {@code FileLock} on the same file) while it reads,
 * changes and writes, so two writers cannot lose each other's update. The new content goes to a temp file in the
 * same directory, is fsynced and renamed over the old file with {@code ATOMIC_MOVE}: a reader (the pooler on
 * SIGHUP) sees the old file or the new one, never half of one. A new file is created with mode 0600; an existing
 * one keeps its mode, owner and group. A symlinked path is followed: the target is replaced, the link stays.
 */
public final class AuthFile {
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");
    private static final ConcurrentHashMap<Path, ReentrantLock> JVM_LOCKS = new ConcurrentHashMap<>();

    /** One line of the file, with its terminator ("" for a last line without one). */
    public record Line(String text, String terminator) {
        /** The user this line defines, as the pooler reads it; null for comments, blank or broken lines. */
        public String user() {
            return Userlist.parse(text).users().stream().findFirst().orElse(null);
        }
    }

    private AuthFile() {
    }

    /** The file's lines; an absent file has none. */
    public static List<Line> read(Path file) throws IOException {
        String content;
        try {
            content = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return List.of();
        }
        List<Line> lines = new ArrayList<>();
        int start = 0;
        while (start < content.length()) {
            int end = start;
            while (end < content.length() && content.charAt(end) != '\n' && content.charAt(end) != '\r') {
                end++;
            }
            int next = end;
            if (next < content.length() && content.charAt(next) == '\r') {
                next++;
            }
            if (next < content.length() && content.charAt(next) == '\n') {
                next++;
            }
            lines.add(new Line(content.substring(start, end), content.substring(end, next)));
            start = next;
        }
        return lines;
    }

    /**
     * Applies {@code edit} to the current lines under the lock and writes the result atomically. The edit returns
     * null to leave the file untouched.
     */
    public static void edit(Path file, UnaryOperator<List<Line>> edit) throws IOException {
        // A symlinked auth_file (e.g. into a config-management checkout) is edited where it points: the rename
        // must replace the target, not the link, or the pooler would go on reading the old file.
        Path absolute = followLinks(file.toAbsolutePath().normalize());
        Path dir = absolute.getParent();
        Path lockFile = dir.resolve(absolute.getFileName() + ".lock");
        ReentrantLock jvmLock = JVM_LOCKS.computeIfAbsent(lockFile, k -> new ReentrantLock());
        jvmLock.lock();
        try (FileChannel lockChannel = openLockFile(lockFile); FileLock ignored = lockChannel.lock()) {
            List<Line> changed = edit.apply(read(absolute));
            if (changed != null) {
                write(absolute, changed);
            }
        } finally {
            jvmLock.unlock();
        }
    }

    /** The path {@code file} finally names after its symlinks (itself when it is none); the target may not exist yet. */
    static Path followLinks(Path file) throws IOException {
        Path p = file;
        for (int hops = 0; Files.isSymbolicLink(p); hops++) {
            if (hops == 40) { // the kernel's own limit (ELOOP)
                throw new FileSystemException(file.toString(), null, "too many levels of symbolic links");
            }
            p = p.getParent().resolve(Files.readSymbolicLink(p)).normalize();
        }
        return p;
    }

    /** The terminator new lines get: the file's own (CRLF if its first line has one), else LF. */
    public static String terminatorOf(List<Line> lines) {
        return lines.stream().map(Line::terminator).filter(t -> !t.isEmpty()).findFirst().orElse("\n");
    }

    /** Appends a line, first ending an unterminated last line so the new entry starts on its own line. */
    public static void append(List<Line> lines, String text) {
        String terminator = terminatorOf(lines);
        if (!lines.isEmpty() && lines.get(lines.size() - 1).terminator().isEmpty()) {
            Line last = lines.remove(lines.size() - 1);
            lines.add(new Line(last.text(), terminator));
        }
        lines.add(new Line(text, terminator));
    }

    private static FileChannel openLockFile(Path lockFile) throws IOException {
        try {
            return FileChannel.open(lockFile, Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE),
                    PosixFilePermissions.asFileAttribute(OWNER_ONLY));
        } catch (UnsupportedOperationException notPosix) {
            return FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        }
    }

    private static void write(Path file, List<Line> lines) throws IOException {
        StringBuilder text = new StringBuilder();
        for (Line line : lines) {
            text.append(line.text()).append(line.terminator());
        }
        Path dir = file.getParent();
        Set<PosixFilePermission> mode = OWNER_ONLY;
        PosixFileAttributes old = null;
        if (Files.exists(file)) {
            try {
                old = Files.readAttributes(file, PosixFileAttributes.class);
                mode = old.permissions();
            } catch (UnsupportedOperationException notPosix) {
                // keep owner-only
            }
        }
        Path temp = createTemp(dir, file.getFileName().toString(), mode);
        try {
            if (old != null) {
                keepOwner(temp, file, old);
            }
            try (FileChannel out = FileChannel.open(temp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer bytes = ByteBuffer.wrap(text.toString().getBytes(StandardCharsets.UTF_8));
                while (bytes.hasRemaining()) {
                    out.write(bytes);
                }
                out.force(true);
            }
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(temp);
        }
        syncDirectory(dir);
    }

    /**
     * Gives the temp file the owner and group of the file it replaces: the rename would otherwise hand the auth_file
     * to whoever ran the edit (often root), and a pooler running as another user could no longer read it. When that
     * is not allowed (not root, not a member of the group) the edit fails and the old file stays.
     */
    private static void keepOwner(Path temp, Path file, PosixFileAttributes old) throws IOException {
        PosixFileAttributeView view = Files.getFileAttributeView(temp, PosixFileAttributeView.class);
        PosixFileAttributes now = view.readAttributes();
        try {
            if (!now.group().equals(old.group())) {
                view.setGroup(old.group());
            }
            if (!now.owner().equals(old.owner())) {
                view.setOwner(old.owner());
            }
        } catch (FileSystemException e) {
            throw new FileSystemException(file.toString(), null, "cannot keep its owner " + old.owner().getName()
                    + " and group " + old.group().getName() + " (run as that user or root)");
        }
        // chown clears setuid/setgid bits and the umask may have narrowed the mode: set it again.
        view.setPermissions(old.permissions());
    }

    private static Path createTemp(Path dir, String name, Set<PosixFilePermission> mode) throws IOException {
        try {
            FileAttribute<Set<PosixFilePermission>> attr = PosixFilePermissions.asFileAttribute(mode);
            Path temp = Files.createTempFile(dir, "." + name + ".", ".tmp", attr);
            Files.setPosixFilePermissions(temp, mode); // the umask may have narrowed a wider existing mode
            return temp;
        } catch (UnsupportedOperationException notPosix) {
            return Files.createTempFile(dir, "." + name + ".", ".tmp");
        }
    }

    /** Makes the rename itself durable; not every platform lets a directory be opened, which is then skipped. */
    private static void syncDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // best effort (e.g. AccessDeniedException on some file systems)
        }
    }

    /** A short reason for an I/O failure, without the exception class name. */
    public static String reason(IOException e) {
        if (e instanceof NoSuchFileException n) {
            return "no such file or directory: " + n.getFile();
        }
        if (e instanceof AccessDeniedException a) {
            return "permission denied: " + a.getFile();
        }
        if (e instanceof FileSystemException f && f.getReason() != null) {
            return f.getFile() + ": " + f.getReason();
        }
        return e.getMessage() == null ? e.toString() : e.getMessage();
    }
}
