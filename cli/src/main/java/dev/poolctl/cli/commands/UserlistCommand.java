package dev.poolctl.cli.commands;

import dev.poolctl.cli.ExitCodes;
import dev.poolctl.cli.Poolctl;
import dev.poolctl.cli.authfile.AuthFile;
import dev.poolctl.pooler.PoolerDaemon;
import dev.poolctl.pooler.auth.Md5Password;
import dev.poolctl.pooler.auth.ScramSecret;
import dev.poolctl.pooler.auth.Secret;
import dev.poolctl.pooler.auth.Userlist;
import dev.poolctl.pooler.config.ConfigException;
import dev.poolctl.pooler.config.IniLoader;
import java.io.ByteArrayOutputStream;
import java.io.Console;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code poolctl userlist}: edits PgBouncer's auth_file (userlist.txt) with the pooler's own hashing and parsing
 * code. Passwords come from stdin ({@code --password-stdin}) or a no-echo prompt, never from the command line.
 */
@Command(
        name = "userlist",
        mixinStandardHelpOptions = true,
        subcommands = {UserlistCommand.Add.class, UserlistCommand.Set.class, UserlistCommand.Remove.class,
            UserlistCommand.ListUsers.class, UserlistCommand.Verify.class, UserlistCommand.Hash.class})
public final class UserlistCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return ExitCodes.USAGE;
    }

    /** Which auth_file to work on: {@code -f}, else auth_file of {@code -c}, else ./userlist.txt. */
    public static final class FileOptions {
        @Option(names = {"-f", "--file"}, paramLabel = "FILE")
        Path file;

        @Option(names = {"-c", "--config"}, paramLabel = "INI")
        Path config;

        /** The file; throws with a message for the user when -c cannot say. */
        Path resolve() throws UserError {
            if (file != null) {
                return file;
            }
            if (config == null) {
                return Path.of("userlist.txt");
            }
            try {
                IniLoader.LoadResult loaded = IniLoader.load(config);
                Path authFile = PoolerDaemon.resolveAuthFile(config, loaded.config());
                if (authFile == null) {
                    throw new UserError(config + ": auth_file is not set; use -f FILE");
                }
                return authFile;
            } catch (ConfigException e) {
                throw new UserError("invalid config: " + e.getMessage());
            }
        }
    }

    /** {@code --md5} or {@code --scram}; SCRAM unless told, as PostgreSQL 14+. */
    public static final class Method {
        @Option(names = "--md5", required = true)
        boolean md5;

        @Option(names = "--scram", required = true)
        boolean scram;
    }

    /** How the password is read. */
    public static final class PasswordOptions {
        @Option(names = "--password-stdin")
        boolean stdin;
    }

    /** A problem the user can fix; printed as one line, no stack trace. */
    static final class UserError extends Exception {
        private static final long serialVersionUID = 1L;
        final int code;

        UserError(String message) {
            this(message, ExitCodes.ERROR);
        }

        UserError(String message, int code) {
            super(message);
            this.code = code;
        }
    }

    /** Shared plumbing of the subcommands: error reporting, password reading, secret making. */
    abstract static class Base implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Override
        public final Integer call() {
            try {
                return run(spec.commandLine().getOut());
            } catch (UserError e) {
                err(e.getMessage());
                return e.code;
            } catch (IOException e) {
                err(AuthFile.reason(e));
                return ExitCodes.ERROR;
            }
        }

        abstract int run(PrintWriter out) throws UserError, IOException;

        void err(String message) {
            spec.commandLine().getErr().println("poolctl userlist " + spec.name() + ": " + message);
            spec.commandLine().getErr().flush();
        }

        /** One line from stdin, or the prompt; {@code confirm} asks twice when prompting. */
        String readPassword(PasswordOptions options, String user, boolean confirm) throws UserError, IOException {
            String password;
            if (options.stdin) {
                Object root = spec.root().userObject();
                password = readLine(root instanceof Poolctl p ? p.stdin() : System.in);
                if (password == null) {
                    throw new UserError("no password on stdin");
                }
            } else {
                Console console = System.console();
                if (console == null) {
                    throw new UserError("no terminal to prompt for the password; use --password-stdin", ExitCodes.USAGE);
                }
                char[] first = console.readPassword("Password for %s: ", user);
                if (first == null) {
                    throw new UserError("no password entered");
                }
                password = new String(first);
                Arrays.fill(first, '\0');
                if (confirm) {
                    char[] again = console.readPassword("Again: ");
                    boolean same = again != null && password.equals(new String(again));
                    if (again != null) {
                        Arrays.fill(again, '\0');
                    }
                    if (!same) {
                        throw new UserError("passwords do not match");
                    }
                }
            }
            if (password.isEmpty()) {
                throw new UserError("empty password refused");
            }
            return password;
        }

        /** Reads up to the first LF (a CR before it is dropped) without buffering past it. */
        private static String readLine(InputStream in) throws IOException {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            int b;
            boolean any = false;
            while ((b = in.read()) != -1) {
                any = true;
                if (b == '\n') {
                    break;
                }
                line.write(b);
            }
            if (!any) {
                return null;
            }
            String text = line.toString(StandardCharsets.UTF_8);
            return text.endsWith("\r") ? text.substring(0, text.length() - 1) : text;
        }

        static String secretFor(Method method, String user, String password) {
            boolean md5 = method != null && method.md5;
            return md5 ? Md5Password.encrypt(password, user) : ScramSecret.fromPassword(password).encode();
        }

        static String line(String user, String secret) throws UserError {
            try {
                return Userlist.format(user, secret);
            } catch (IllegalArgumentException e) {
                throw new UserError(e.getMessage());
            }
        }

        static void checkUserName(String user) throws UserError {
            if (user.isEmpty()) {
                throw new UserError("empty user name", ExitCodes.USAGE);
            }
        }
    }

    /** Shared by add and set. */
    abstract static class Write extends Base {
        @Mixin
        FileOptions files;

        @ArgGroup(exclusive = true)
        Method method;

        @Mixin
        PasswordOptions passwordOptions;

        @Parameters(index = "0", paramLabel = "USER", descriptionKey = "USER")
        String user;

        abstract boolean replaceExisting();

        @Override
        int run(PrintWriter out) throws UserError, IOException {
            checkUserName(user);
            Path file = files.resolve();
            String newLine = line(user, secretFor(method, user, readPassword(passwordOptions, user, true)));
            boolean[] existed = new boolean[1];
            AuthFile.edit(file, lines -> {
                List<AuthFile.Line> result = new ArrayList<>();
                for (AuthFile.Line l : lines) {
                    if (user.equals(l.user())) {
                        if (!existed[0]) {
                            result.add(new AuthFile.Line(newLine, l.terminator()));
                        }
                        existed[0] = true; // later duplicates would override the new entry: drop them
                    } else {
                        result.add(l);
                    }
                }
                if (existed[0] && !replaceExisting()) {
                    return null;
                }
                if (!existed[0]) {
                    AuthFile.append(result, newLine);
                }
                return result;
            });
            if (existed[0] && !replaceExisting()) {
                throw new UserError("user \"" + user + "\" already exists in " + file + "; use `userlist set` to change it");
            }
            out.println((existed[0] ? "updated " : "added ") + "user \"" + user + "\" in " + file);
            return ExitCodes.OK;
        }
    }

    @Command(name = "add", mixinStandardHelpOptions = true)
    public static final class Add extends Write {
        @Override
        boolean replaceExisting() {
            return false;
        }
    }

    @Command(name = "set", mixinStandardHelpOptions = true)
    public static final class Set extends Write {
        @Override
        boolean replaceExisting() {
            return true;
        }
    }

    @Command(name = "remove", mixinStandardHelpOptions = true)
    public static final class Remove extends Base {
        @Mixin
        FileOptions files;

        @Parameters(index = "0", paramLabel = "USER", descriptionKey = "USER")
        String user;

        @Override
        int run(PrintWriter out) throws UserError, IOException {
            Path file = files.resolve();
            boolean[] found = new boolean[1];
            AuthFile.edit(file, lines -> {
                List<AuthFile.Line> result = new ArrayList<>();
                for (AuthFile.Line l : lines) {
                    if (user.equals(l.user())) {
                        found[0] = true;
                    } else {
                        result.add(l);
                    }
                }
                return found[0] ? result : null;
            });
            if (!found[0]) {
                throw new UserError("no user \"" + user + "\" in " + file);
            }
            out.println("removed user \"" + user + "\" from " + file);
            return ExitCodes.OK;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true)
    public static final class ListUsers extends Base {
        @Mixin
        FileOptions files;

        @Override
        int run(PrintWriter out) throws UserError, IOException {
            Path file = files.resolve();
            Userlist list = Userlist.load(file);
            int width = Math.max(4, list.users().stream().mapToInt(String::length).max().orElse(0));
            out.println(String.format("%-" + width + "s  %s", "user", "secret"));
            for (String user : list.users()) {
                out.println(String.format("%-" + width + "s  %s", user, kind(list.secret(user).orElseThrow())));
            }
            list.warnings().forEach(w -> spec.commandLine().getErr().println("warning: " + w));
            return ExitCodes.OK;
        }

        static String kind(Secret secret) {
            if (secret instanceof Secret.Md5) {
                return "md5";
            }
            return secret instanceof Secret.Scram ? "scram" : "plain";
        }
    }

    @Command(name = "verify", mixinStandardHelpOptions = true)
    public static final class Verify extends Base {
        @Mixin
        FileOptions files;

        @Mixin
        PasswordOptions passwordOptions;

        @Parameters(index = "0", paramLabel = "USER", descriptionKey = "USER")
        String user;

        @Override
        int run(PrintWriter out) throws UserError, IOException {
            Path file = files.resolve();
            Secret secret = Userlist.load(file).secret(user)
                    .orElseThrow(() -> new UserError("no user \"" + user + "\" in " + file));
            String password = readPassword(passwordOptions, user, false);
            if (!matches(secret, user, password)) {
                throw new UserError("password does not match the " + ListUsers.kind(secret) + " secret of \"" + user + "\"");
            }
            out.println("password matches the " + ListUsers.kind(secret) + " secret of \"" + user + "\"");
            return ExitCodes.OK;
        }

        static boolean matches(Secret secret, String user, String password) {
            if (secret instanceof Secret.Md5 m) {
                return m.hash().equals(Md5Password.encrypt(password, user));
            }
            if (secret instanceof Secret.Scram s) {
                return s.secret().equals(ScramSecret.fromPassword(password, s.secret().salt(), s.secret().iterations()));
            }
            return ((Secret.Plain) secret).password().equals(password);
        }
    }

    @Command(name = "hash", mixinStandardHelpOptions = true)
    public static final class Hash extends Base {
        @ArgGroup(exclusive = true)
        Method method;

        @Mixin
        PasswordOptions passwordOptions;

        @Parameters(index = "0", paramLabel = "USER", descriptionKey = "USER")
        String user;

        @Override
        int run(PrintWriter out) throws UserError, IOException {
            checkUserName(user);
            String password = readPassword(passwordOptions, user, true);
            out.println(line(user, secretFor(method, user, password)));
            return ExitCodes.OK;
        }
    }
}
