package dev.poolctl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.pooler.auth.Md5Password;
import dev.poolctl.pooler.auth.ScramClientExchange;
import dev.poolctl.pooler.auth.ScramException;
import dev.poolctl.pooler.auth.ScramServerExchange;
import dev.poolctl.pooler.auth.Secret;
import dev.poolctl.pooler.auth.Userlist;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code poolctl userlist}: each subcommand, its failures and exit codes, checked with the pooler's auth code. */
class UserlistCommandTest {
    @TempDir
    Path dir;

    record Run(int code, String out, String err) {}

    /** Runs with {@code stdin} as System.in for the call (null: no stdin), restoring it afterwards. */
    static synchronized Run run(String stdin, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        InputStream saved = System.in;
        if (stdin != null) {
            System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
        }
        try {
            int code = Poolctl.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
            return new Run(code, out.toString(), err.toString());
        } finally {
            System.setIn(saved);
        }
    }

    private Path file() {
        return dir.resolve("userlist.txt");
    }

    private Run set(String user, String password, String... extra) {
        List<String> args = new ArrayList<>(List.of("userlist", "set", "--password-stdin", "-f", file().toString()));
        args.addAll(List.of(extra));
        args.add(user);
        return run(password + "\n", args.toArray(String[]::new));
    }

    private Secret stored(String user) throws Exception {
        return Userlist.load(file()).secret(user).orElseThrow();
    }

    /** A full SCRAM exchange between the pooler's client and server code: true if the password is accepted. */
    private static boolean scramLogin(Secret secret, String password) throws ScramException {
        ScramServerExchange server = new ScramServerExchange(((Secret.Scram) secret).secret());
        ScramClientExchange client = ScramClientExchange.forPassword(password);
        String serverFirst = server.serverFirst(client.clientFirst());
        try {
            client.verifyServerFinal(server.serverFinal(client.clientFinal(serverFirst)));
        } catch (ScramException e) {
            return false;
        }
        return server.isAuthenticated();
    }

    @Test
    void addCreatesAFileWithMode0600AndAScramSecretByDefault() throws Exception {
        Run r = run("s3cret\n", "userlist", "add", "--password-stdin", "-f", file().toString(), "app");
        assertEquals(ExitCodes.OK, r.code(), r.err());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file())));
        Secret secret = stored("app");
        assertInstanceOf(Secret.Scram.class, secret);
        assertTrue(scramLogin(secret, "s3cret"), "the pooler's SCRAM server accepts the password");
        assertFalse(scramLogin(secret, "wrong"), "and refuses another");
        assertFalse(r.out().contains("SCRAM-SHA-256$"), "never prints the secret: " + r.out());
    }

    @Test
    void md5SecretIsWhatPostgresStores() throws Exception {
        assertEquals(ExitCodes.OK, set("app", "s3cret", "--md5").code());
        Secret secret = stored("app");
        assertEquals(new Secret.Md5(Md5Password.encrypt("s3cret", "app")), secret);
        assertTrue(Files.readString(file()).startsWith("\"app\" \"md5"), Files.readString(file()));
    }

    @Test
    void addRefusesAnExistingUserAndLeavesTheFileAlone() throws Exception {
        set("app", "one");
        String before = Files.readString(file());
        Run r = run("two\n", "userlist", "add", "--password-stdin", "-f", file().toString(), "app");
        assertEquals(ExitCodes.ERROR, r.code());
        assertTrue(r.err().contains("already exists"), r.err());
        assertEquals(before, Files.readString(file()));
    }

    @Test
    void setReplacesTheSecretAndKeepsEveryOtherLineByteForByte() throws Exception {
        String original = "; managed by hand\r\n\r\n# other comment\n\"other\" \"plainpw\"  trailing words\n"
                + "\"app\" \"old\"\n\"broken line\n\"last\" \"x\"";
        Files.writeString(file(), original);
        assertEquals(ExitCodes.OK, set("app", "newpw", "--md5").code());
        String now = Files.readString(file());
        String appLine = Userlist.format("app", Md5Password.encrypt("newpw", "app"));
        assertEquals(original.replace("\"app\" \"old\"", appLine), now);
        assertEquals(ExitCodes.OK, set("new", "pw", "--md5").code());
        // The unterminated last line is ended with the file's first terminator (CRLF) before the new entry.
        assertEquals(original.replace("\"app\" \"old\"", appLine) + "\r\n"
                + Userlist.format("new", Md5Password.encrypt("pw", "new")) + "\r\n", Files.readString(file()));
    }

    @Test
    void existingFileKeepsItsMode() throws Exception {
        Files.writeString(file(), "\"a\" \"b\"\n");
        Files.setPosixFilePermissions(file(), PosixFilePermissions.fromString("rw-r-----"));
        set("c", "d");
        assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(file())));
    }

    @Test
    void existingFileKeepsItsOwnerAndGroup() throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "only root may give a file away");
        var lookup = dir.getFileSystem().getUserPrincipalLookupService();
        Files.writeString(file(), "\"a\" \"b\"\n");
        // nobody/nogroup exist on every Debian-like system; the pooler's own user is typically such a non-root one
        Files.setOwner(file(), lookup.lookupPrincipalByName("nobody"));
        Files.getFileAttributeView(file(), PosixFileAttributeView.class)
                .setGroup(lookup.lookupPrincipalByGroupName("nogroup"));
        Files.setPosixFilePermissions(file(), PosixFilePermissions.fromString("rw-r-----"));
        assertEquals(ExitCodes.OK, set("c", "d").code());
        PosixFileAttributes now = Files.readAttributes(file(), PosixFileAttributes.class);
        assertEquals("nobody", now.owner().getName());
        assertEquals("nogroup", now.group().getName());
        assertEquals("rw-r-----", PosixFilePermissions.toString(now.permissions()));
        assertTrue(stored("c") != null);
    }

    @Test
    void aSymlinkedFileIsEditedAtItsTargetAndTheLinkStays() throws Exception {
        Path real = Files.createDirectory(dir.resolve("etc")).resolve("userlist.real");
        Files.writeString(real, "\"a\" \"b\"\n");
        Files.createSymbolicLink(file(), Path.of("etc", "userlist.real")); // relative, as `ln -s` makes them
        assertEquals(ExitCodes.OK, set("c", "d", "--md5").code());
        assertTrue(Files.isSymbolicLink(file()), "the link is still a link");
        assertEquals("\"a\" \"b\"\n" + Userlist.format("c", Md5Password.encrypt("d", "c")) + "\n",
                Files.readString(real));
        try (var listing = Files.list(dir)) {
            assertEquals(List.of("etc", "userlist.txt"), listing.map(p -> p.getFileName().toString()).sorted().toList(),
                    "no temp or lock file left beside the link");
        }
    }

    @Test
    void quotesInNamesAreDoubled() throws Exception {
        assertEquals(ExitCodes.OK, set("we\"ird", "pw", "--md5").code());
        assertTrue(Files.readString(file()).startsWith("\"we\"\"ird\" "), Files.readString(file()));
        assertEquals(new Secret.Md5(Md5Password.encrypt("pw", "we\"ird")), stored("we\"ird"));
    }

    @Test
    void removeDeletesOnlyThatUserAndFailsForAnAbsentOne() throws Exception {
        Files.writeString(file(), ";c\n\"a\" \"1\"\n\"b\" \"2\"\n");
        Run r = run(null, "userlist", "remove", "-f", file().toString(), "a");
        assertEquals(ExitCodes.OK, r.code(), r.err());
        assertEquals(";c\n\"b\" \"2\"\n", Files.readString(file()));
        r = run(null, "userlist", "remove", "-f", file().toString(), "a");
        assertEquals(ExitCodes.ERROR, r.code());
        assertTrue(r.err().contains("no user \"a\""), r.err());
    }

    @Test
    void listShowsNamesAndKindsButNoSecret() throws Exception {
        Files.writeString(file(), "\"p\" \"plainpw\"\n\"m\" \"" + Md5Password.encrypt("x", "m") + "\"\n");
        set("s", "scrampw");
        Run r = run(null, "userlist", "list", "-f", file().toString());
        assertEquals(ExitCodes.OK, r.code(), r.err());
        assertTrue(r.out().matches("(?s)user\\s+secret\\s+p\\s+plain\\s+m\\s+md5\\s+s\\s+scram\\s*"), r.out());
        assertFalse(r.out().contains("plainpw") || r.out().contains("md5" + "0") || r.out().contains("SCRAM"), r.out());
    }

    @Test
    void listOfAMissingFileFails() {
        Run r = run(null, "userlist", "list", "-f", dir.resolve("nope.txt").toString());
        assertEquals(ExitCodes.ERROR, r.code());
        assertTrue(r.err().contains("nope.txt"), r.err());
        assertFalse(r.err().contains("Exception"), r.err());
    }

    @Test
    void verifyChecksEveryKindOfSecret() throws Exception {
        Files.writeString(file(), "\"p\" \"plainpw\"\n");
        set("m", "md5pw", "--md5");
        set("s", "scrampw", "--scram");
        for (String[] c : new String[][] {{"p", "plainpw"}, {"m", "md5pw"}, {"s", "scrampw"}}) {
            Run ok = run(c[1] + "\n", "userlist", "verify", "--password-stdin", "-f", file().toString(), c[0]);
            assertEquals(ExitCodes.OK, ok.code(), c[0] + ": " + ok.err());
            Run bad = run("nope\n", "userlist", "verify", "--password-stdin", "-f", file().toString(), c[0]);
            assertEquals(ExitCodes.ERROR, bad.code(), c[0]);
            assertTrue(bad.err().contains("does not match"), bad.err());
        }
        Run absent = run("x\n", "userlist", "verify", "--password-stdin", "-f", file().toString(), "ghost");
        assertEquals(ExitCodes.ERROR, absent.code());
        assertTrue(absent.err().contains("no user \"ghost\""), absent.err());
    }

    @Test
    void hashPrintsOneLineAndTouchesNoFile() throws Exception {
        Run r = run("password\n", "userlist", "hash", "--md5", "--password-stdin", "hospitality_user");
        assertEquals(ExitCodes.OK, r.code(), r.err());
        // = echo -n "passwordhospitality_user" | md5sum
        assertEquals("\"hospitality_user\" \"md5" + "c12a0a8856d2d03129e69fd816b3a6d8" + "\"", r.out().strip());
        Run scram = run("password\n", "userlist", "hash", "--password-stdin", "app");
        Secret secret = Userlist.parse(scram.out()).secret("app").orElseThrow();
        assertTrue(scramLogin(secret, "password"));
        try (var files = Files.list(dir)) {
            assertEquals(0, files.count());
        }
    }

    @Test
    void crlfOnStdinIsNotPartOfThePassword() throws Exception {
        set("app", "pw\r");
        assertTrue(scramLogin(stored("app"), "pw"));
    }

    @Test
    void passwordIsNeverTakenFromArgvAndNoTerminalIsAUsageError() {
        Run r = run(null, "userlist", "set", "-f", file().toString(), "--password", "pw", "app");
        assertEquals(ExitCodes.USAGE, r.code());
        // Without --password-stdin it prompts; in a test there is no console.
        if (System.console() == null) {
            Run noTty = run(null, "userlist", "set", "-f", file().toString(), "app");
            assertEquals(ExitCodes.USAGE, noTty.code());
            assertTrue(noTty.err().contains("--password-stdin"), noTty.err());
        }
        assertFalse(Files.exists(file()));
    }

    @Test
    void emptyOrMissingPasswordIsRefused() {
        assertEquals(ExitCodes.ERROR, run("\n", "userlist", "set", "--password-stdin", "-f", file().toString(), "a").code());
        Run none = run("", "userlist", "set", "--password-stdin", "-f", file().toString(), "a");
        assertEquals(ExitCodes.ERROR, none.code());
        assertTrue(none.err().contains("no password"), none.err());
        assertFalse(Files.exists(file()));
    }

    @Test
    void md5AndScramTogetherIsAUsageError() {
        Run r = run("pw\n", "userlist", "set", "--md5", "--scram", "--password-stdin", "-f", file().toString(), "a");
        assertEquals(ExitCodes.USAGE, r.code());
    }

    @Test
    void fileComesFromTheConfigsAuthFile() throws Exception {
        Path ini = dir.resolve("pgbouncer.ini");
        Files.writeString(ini, "[databases]\n[pgbouncer]\nauth_file = " + dir.resolve("users.txt") + "\n");
        Run r = run("pw\n", "userlist", "set", "--password-stdin", "-c", ini.toString(), "app");
        assertEquals(ExitCodes.OK, r.code(), r.err());
        assertTrue(Userlist.load(dir.resolve("users.txt")).secret("app").isPresent());

        Files.writeString(ini, "[databases]\n[pgbouncer]\n");
        Run unset = run(null, "userlist", "list", "-c", ini.toString());
        assertEquals(ExitCodes.ERROR, unset.code());
        assertTrue(unset.err().contains("auth_file is not set"), unset.err());
    }

    @Test
    void helpHasAnExample() {
        for (String sub : List.of("add", "set", "remove", "list", "verify", "hash")) {
            Run r = run(null, "userlist", sub, "--help");
            assertEquals(ExitCodes.OK, r.code());
            assertTrue(r.out().contains("Example:") && r.out().contains("poolctl userlist " + sub), sub + ": " + r.out());
        }
    }

    /** Many `userlist set` calls racing, each adding its own user: with the lock and the atomic rename none is lost. */
    @Test
    void concurrentWritersLoseNoUpdate() throws Exception {
        Files.writeString(file(), "; shared file\n");
        int writers = 12;
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Integer>> results = new ArrayList<>();
        try {
            for (int i = 0; i < writers; i++) {
                String user = "user" + i;
                results.add(pool.submit(() -> {
                    go.await();
                    StringWriter err = new StringWriter();
                    return Poolctl.run(new ByteArrayInputStream(("pw" + user + "\n").getBytes(StandardCharsets.UTF_8)),
                            new PrintWriter(new StringWriter()), new PrintWriter(err, true),
                            "userlist", "set", "--md5", "--password-stdin", "-f", file().toString(), user);
                }));
            }
            go.countDown();
            for (Future<Integer> f : results) {
                assertEquals(ExitCodes.OK, f.get(60, TimeUnit.SECONDS));
            }
        } finally {
            pool.shutdownNow();
        }
        Userlist list = Userlist.load(file());
        assertEquals(writers, list.users().size(), Files.readString(file()));
        for (int i = 0; i < writers; i++) {
            assertEquals(new Secret.Md5(Md5Password.encrypt("pwuser" + i, "user" + i)), list.secret("user" + i).orElseThrow());
        }
        assertTrue(Files.readString(file()).startsWith("; shared file\n"));
        try (var files = Files.list(dir)) {
            assertEquals(List.of("userlist.txt", "userlist.txt.lock"),
                    files.map(p -> p.getFileName().toString()).sorted().toList(), "no temp file left behind");
        }
    }

    /** Two processes' worth of racing is covered by the FileLock; here two calls race to add the same user. */
    @Test
    void twoAddsOfTheSameUserRacingExactlyOneWins() throws Exception {
        for (int round = 0; round < 5; round++) {
            Files.deleteIfExists(file());
            ExecutorService pool = Executors.newFixedThreadPool(2);
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Integer>> results = new ArrayList<>();
            try {
                for (int i = 0; i < 2; i++) {
                    String password = "pw" + i;
                    results.add(pool.submit(() -> {
                        go.await();
                        return Poolctl.run(new ByteArrayInputStream((password + "\n").getBytes(StandardCharsets.UTF_8)),
                                new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()),
                                "userlist", "add", "--md5", "--password-stdin", "-f", file().toString(), "app");
                    }));
                }
                go.countDown();
                List<Integer> codes = new ArrayList<>();
                for (Future<Integer> f : results) {
                    codes.add(f.get(60, TimeUnit.SECONDS));
                }
                codes.sort(null);
                assertEquals(List.of(ExitCodes.OK, ExitCodes.ERROR), codes);
            } finally {
                pool.shutdownNow();
            }
            assertEquals(1, Files.readAllLines(file()).size());
        }
    }
}
