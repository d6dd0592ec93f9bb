package dev.poolctl.client;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * libpq's password file: lines {@code host:port:database:user:password}, {@code *} in the first four fields matches
 * anything, {@code \:} and {@code \\} escape, lines starting with {@code #} are comments, the first match wins.
 * A unix socket directory matches the host {@code localhost}, as in libpq. A file readable by group or others is
 * ignored with libpq's warning.
 */
public final class PgPass {
    private final List<String[]> entries;

    private PgPass(List<String[]> entries) {
        this.entries = entries;
    }

    /** Parses the text of a password file (lines with fewer than five fields are skipped). */
    public static PgPass parse(String text) {
        List<String[]> entries = new ArrayList<>();
        for (String line : text.split("\r?\n", -1)) {
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            List<String> fields = new ArrayList<>(5);
            StringBuilder cur = new StringBuilder();
            for (int i = 0; i < line.length(); i++) {
                char c = line.charAt(i);
                if (c == '\\' && i + 1 < line.length()) {
                    cur.append(line.charAt(++i));
                } else if (c == ':' && fields.size() < 4) {
                    fields.add(cur.toString());
                    cur.setLength(0);
                } else {
                    cur.append(c);
                }
            }
            fields.add(cur.toString());
            if (fields.size() == 5) {
                entries.add(fields.toArray(new String[0]));
            }
        }
        return new PgPass(entries);
    }

    /**
     * Reads a password file; empty when it does not exist, cannot be read, or has group/world access (then
     * {@code warn} gets libpq's warning).
     */
    public static Optional<PgPass> read(Path file, Consumer<String> warn) {
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        try {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
            for (PosixFilePermission p : perms) {
                if (p.name().startsWith("GROUP") || p.name().startsWith("OTHERS")) {
                    warn.accept("WARNING: password file \"" + file + "\" has group or world access; permissions"
                            + " should be u=rw (0600) or less");
                    return Optional.empty();
                }
            }
        } catch (UnsupportedOperationException | IOException e) {
            // not a POSIX file system: no check, as libpq on Windows
        }
        try {
            return Optional.of(parse(Files.readString(file, StandardCharsets.UTF_8)));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** The password of the first entry matching all four keys; {@code host} may be a unix socket directory. */
    public Optional<String> lookup(String host, int port, String database, String user) {
        String h = host == null || host.isEmpty() || host.startsWith("/") ? "localhost" : host;
        String[] keys = {h, Integer.toString(port), database, user};
        for (String[] e : entries) {
            boolean match = true;
            for (int i = 0; i < 4 && match; i++) {
                match = e[i].equals("*") || e[i].equals(keys[i]);
            }
            if (match) {
                return Optional.of(e[4]);
            }
        }
        return Optional.empty();
    }
}
