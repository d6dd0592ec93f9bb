package dev.poolctl.cli.commands;

import dev.poolctl.cli.authfile.AuthFile;
import dev.poolctl.pooler.PoolerDaemon;
import dev.poolctl.pooler.auth.Userlist;
import dev.poolctl.pooler.config.ConfigException;
import dev.poolctl.pooler.config.EnvConfig;
import dev.poolctl.pooler.config.IniLoader;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * The files {@code start --from-env} runs with, as the edoburu/pgbouncer image's entrypoint makes them: a pgbouncer.ini
 * built from the environment (unless a file of one's own is at that path: it wins, as a mounted file does in the
 * image) and the auth_file entries of the users the environment names. Unlike the image, a file poolctl generated is
 * generated again at each start (its first line says so), so a changed variable counts after a container restart.
 */
final class EnvFiles {
    /** Where the image keeps its config; {@code start --from-env} without {@code -c}. */
    static final Path DEFAULT_INI = Path.of("/etc/pgbouncer/pgbouncer.ini");

    private static final String USERLIST_MARK = EnvConfig.GENERATED_MARK
            + ": the users it names are updated at every start; add others as you like";

    /**
     * What the environment gives for {@code ini}.
     *
     * @param own a pgbouncer.ini of one's own is at that path: it is run as it is
     * @param authFile where the users go; null when an own file names no auth_file
     */
    record Prepared(Path ini, boolean own, EnvConfig.Result env, Path authFile) {
        /** What start says before it starts; config from-env says it too. */
        void report(PrintWriter err, String who) {
            env.ignored().forEach(line -> err.println(who + line));
            if (own) {
                err.println(who + ini + " is not generated: it is run as it is; the environment only adds its users"
                        + (authFile == null ? " (none: the file names no auth_file)" : " to " + authFile));
            } else {
                for (EnvConfig.Database db : env.databases()) {
                    err.println(who + "from the environment: database " + db.name() + " -> " + db.host() + ":"
                            + db.port() + (db.user() == null ? "" : " (auth_user " + db.user() + ")"));
                }
            }
        }
    }

    private EnvFiles() {}

    /**
     * Reads the environment for {@code ini} and checks the config it gives with the pooler's own loader.
     *
     * @throws ConfigException naming the variable that is wrong, or what the loader refuses
     */
    static Prepared read(Path ini, Map<String, String> env) throws ConfigException {
        if (Files.exists(ini) && !generated(ini)) {
            var config = IniLoader.load(ini).config();
            return new Prepared(ini, true, EnvConfig.read(env, null, false), PoolerDaemon.resolveAuthFile(ini, config));
        }
        Path dir = ini.toAbsolutePath().getParent();
        EnvConfig.Result r = EnvConfig.read(env, dir.resolve("userlist.txt").toString(), true);
        check(r);
        return new Prepared(ini, false, r, PoolerDaemon.resolveFile(ini, r.authFile()));
    }

    /** Writes the generated ini (when not one's own) and the users' auth_file entries; says what changed. */
    static void write(Prepared p, PrintWriter err, String who) throws IOException {
        if (!p.own()) {
            List<String> text = List.of(p.env().ini(true).split("\n"));
            edit(p.ini(), lines -> {
                List<AuthFile.Line> out = new ArrayList<>();
                text.forEach(t -> out.add(new AuthFile.Line(t, "\n")));
                return out.equals(lines) ? null : out;
            });
        }
        if (p.authFile() == null) {
            return;
        }
        List<String> changes = new ArrayList<>();
        edit(p.authFile(), lines -> {
            boolean ours = lines.isEmpty() || lines.get(0).text().startsWith(EnvConfig.GENERATED_MARK);
            List<AuthFile.Line> out = new ArrayList<>(lines);
            if (lines.isEmpty()) {
                out.add(new AuthFile.Line(USERLIST_MARK, "\n"));
            }
            p.env().users().forEach((user, password) -> {
                String entry = Userlist.format(user, password);
                int at = indexOf(out, user);
                if (at < 0) {
                    AuthFile.append(out, entry);
                    changes.add("added user " + user);
                } else if (ours && !out.get(at).text().equals(entry)) {
                    out.set(at, new AuthFile.Line(entry, out.get(at).terminator()));
                    changes.add("updated user " + user);
                }
            });
            return out.equals(lines) ? null : out;
        });
        for (String c : changes) {
            err.println(who + p.authFile() + ": " + c);
        }
    }

    /** AuthFile's locked, atomic edit (a reader sees the old file or the new one); a failure names the file. */
    private static void edit(Path file, UnaryOperator<List<AuthFile.Line>> edit) throws IOException {
        try {
            AuthFile.edit(file, edit);
        } catch (IOException e) {
            throw new IOException("cannot write " + file + ": " + AuthFile.reason(e), e);
        }
    }

    /** Whether a file is one poolctl generated (its first line says so). */
    static boolean generated(Path file) {
        try {
            List<AuthFile.Line> lines = AuthFile.read(file);
            return !lines.isEmpty() && lines.get(0).text().startsWith(EnvConfig.GENERATED_MARK);
        } catch (IOException e) {
            return false; // unreadable: treated as one's own, and the loader then says why it cannot be read
        }
    }

    private static int indexOf(List<AuthFile.Line> lines, String user) {
        for (int i = lines.size() - 1; i >= 0; i--) {
            if (user.equals(lines.get(i).user())) {
                return i; // the last entry is the one the pooler uses
            }
        }
        return -1;
    }

    /** The pooler's own checks over the generated text, so that start never writes a file it would then refuse. */
    private static void check(EnvConfig.Result r) throws ConfigException {
        Path temp = null;
        try {
            temp = Files.createTempFile("poolctl-env-", ".ini");
            Files.writeString(temp, r.ini(true), StandardCharsets.UTF_8);
            PoolerDaemon.checkSupported(temp, IniLoader.load(temp).config());
        } catch (IOException e) {
            throw new ConfigException("cannot check the config built from the environment: " + AuthFile.reason(e), e);
        } catch (ConfigException e) {
            String where = temp.toString();
            throw new ConfigException("the config built from the environment: " + e.getMessage().replace(where + ": ",
                    ""), e);
        } finally {
            if (temp != null) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException e) {
                    // left behind: created owner-only (mode 0600), as every temp file is
                }
            }
        }
    }
}
