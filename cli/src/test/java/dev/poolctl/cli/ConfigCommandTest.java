package dev.poolctl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.poolctl.cli.commands.ConfigCommand;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code poolctl config check|show}: one test per error and warning class, and the seed guide's config. */
class ConfigCommandTest {
    @TempDir
    Path dir;
    private Path ini;
    private Path userlist;

    record Run(int code, String out, String err) {}

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Poolctl.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Run(code, out.toString(), err.toString());
    }

    @BeforeEach
    void files() throws Exception {
        ini = dir.resolve("pgbouncer.ini");
        userlist = dir.resolve("userlist.txt");
        Files.writeString(userlist, "\"app\" \"md5" + "0".repeat(32) + "\"\n");
    }

    /** A config with nothing to report, plus {@code extra} lines in [pgbouncer] (later keys win). */
    private Run checkDbs(String databases, String extra, String... flags) throws Exception {
        Files.writeString(ini, "[databases]\n" + databases
                + "\n[pgbouncer]\n"
                + "listen_port = 6432\n"
                + "auth_type = md5\n"
                + "auth_file = " + userlist + "\n"
                + "ignore_startup_parameters = extra_float_digits\n"
                + extra);
        String[] args = new String[2 + 2 + flags.length];
        args[0] = "config";
        args[1] = "check";
        args[2] = "-c";
        args[3] = ini.toString();
        System.arraycopy(flags, 0, args, 4, flags.length);
        return run(args);
    }

    private Run check(String extra, String... flags) throws Exception {
        return checkDbs("db = host=127.0.0.1 port=5432 dbname=db\n", extra, flags);
    }

    private static void assertWarning(Run r, String regex) {
        assertTrue(Pattern.compile(regex).matcher(r.out()).find(), "expected /" + regex + "/ in:\n" + r.out());
    }

    /** The line number of the first line of the ini containing {@code text}. */
    private int lineOf(String text) throws Exception {
        var lines = Files.readAllLines(ini);
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains(text)) {
                return i + 1;
            }
        }
        throw new AssertionError(text);
    }

    @Test
    void cleanConfigExitsZeroEvenWithStrict() throws Exception {
        Run r = check("", "--strict");
        assertEquals(0, r.code(), r.out());
        assertTrue(r.out().contains("0 error(s), 0 warning(s)"), r.out());
    }

    @Test
    void badValueIsAnErrorNamingFileSectionAndKey() throws Exception {
        Run r = check("max_client_conn = lots\n");
        assertEquals(2, r.code());
        assertTrue(r.out().contains("error: " + ini + ": [pgbouncer] max_client_conn: invalid integer"), r.out());
        assertFalse(r.out().contains("Exception"), r.out());
    }

    @Test
    void missingConfigFileIsAnError() {
        Run r = run("config", "check", "-c", dir.resolve("nope.ini").toString());
        assertEquals(2, r.code());
        assertTrue(r.out().contains("nope.ini"), r.out());
    }

    @Test
    void unsupportedAuthTypeIsAnErrorAsAtStart() throws Exception {
        Run r = check("auth_type = pam\n");
        assertEquals(2, r.code());
        assertTrue(r.out().contains("auth_type: 'pam' is not supported yet"), r.out());
    }

    /** The operator guide's own auth_file placeholder passed with 0 warnings before. */
    @Test
    void authFileSecretsMeantAsHashesAreWarnings() throws Exception {
        Files.writeString(dir.resolve("userlist.txt"), "\"app\" \"md5xxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"\n");
        Run r = check("");
        assertTrue(r.out().contains("the secret of user \"app\" starts with md5 but is not an md5 hash"), r.out());
        assertFalse(r.out().contains("xxxxxxxx"), "the secret is not printed: " + r.out());
    }

    @Test
    void hbaRulesTheDaemonWouldSkipAreWarnings() throws Exception {
        Run none = check("auth_type = hba\n");
        assertEquals(0, none.code(), none.out());
        assertTrue(none.out().contains("auth_hba_file is not set: every login is refused"), none.out());
        java.nio.file.Files.writeString(dir.resolve("hba.conf"), "host all +admins all md5\nhost all all all md5\n");
        Run skipped = check("auth_type = hba\nauth_hba_file = " + dir.resolve("hba.conf") + "\n");
        assertEquals(0, skipped.code(), skipped.out());
        assertTrue(skipped.out().contains("hba line 1: +groupname is not supported"), skipped.out());
    }

    @Test
    void tlsRequiredWithoutItsFilesIsAnErrorAsAtStart() throws Exception {
        Run r = check("client_tls_sslmode = require\n");
        assertEquals(2, r.code());
        assertTrue(r.out().contains("client_tls_sslmode: 'require' needs client_tls_key_file"), r.out());
    }

    @Test
    void aCertificateAboutToExpireIsAWarning() throws Exception {
        Process p = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "s.key", "-out", "s.crt", "-days", "3",
                "-subj", "/CN=soon").directory(dir.toFile()).redirectErrorStream(true).start();
        p.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
        assertEquals(0, p.waitFor());
        Run r = check("client_tls_sslmode = require\nclient_tls_key_file = s.key\nclient_tls_cert_file = s.crt\n");
        assertEquals(0, r.code(), r.out());
        assertWarning(r, Pattern.quote("client_tls_cert_file " + dir.resolve("s.crt") + ": certificate 'CN=soon'"
                + " expires on "));
    }

    @Test
    void unreadableTlsFilesAreAnErrorAsAtStart() throws Exception {
        Run r = check("server_tls_sslmode = verify-full\nserver_tls_ca_file = /nonexistent/ca.crt\n");
        assertEquals(2, r.code());
        assertTrue(r.out().contains("server_tls_ca_file: cannot read /nonexistent/ca.crt"), r.out());
    }

    @Test
    void loaderWarningsAreReportedAndStrictMakesThemFail() throws Exception {
        Run r = check("no_such_key = 1\n");
        assertEquals(0, r.code(), r.out());
        assertWarning(r, "warning: unknown parameter: pgbouncer/no_such_key in " + Pattern.quote(ini.toString()));
        assertEquals(1, check("no_such_key = 1\n", "--strict").code());
    }

    @Test
    void missingAuthFileIsAnErrorSinceStartRefusesIt() throws Exception {
        Files.delete(userlist);
        Run r = check("");
        assertEquals(2, r.code());
        assertTrue(r.out().contains(ini + ":" + lineOf("auth_file =") + ": auth_file " + userlist + " does not exist"),
                r.out());
    }

    @Test
    void unsetAuthFileIsAWarning() throws Exception {
        Run r = check("auth_file =\n");
        assertEquals(0, r.code(), r.out());
        assertWarning(r, "warning: auth_file is not set");
    }

    @Test
    void unsetAuthFileWithTrustSaysNobodyGetsIn() throws Exception {
        Run r = check("auth_type = trust\nauth_file =\n");
        assertWarning(r, Pattern.quote("warning: auth_file is not set: no client can log in with auth_type trust"
                + " (trust still needs the user listed in auth_file)"));
    }

    @Test
    void emptyPasswordLinesAreWarningsWithTheirLine() throws Exception {
        Files.writeString(userlist, "\"app\" \"pw\"\n\"nopw\" \"\"\n");
        Run r = check("", "--strict");
        assertEquals(1, r.code(), r.out());
        assertWarning(r, Pattern.quote(userlist + ":2: user \"nopw\" has an empty password"));
        assertFalse(r.out().contains("\"app\""), r.out());
    }

    @Test
    void brokenAuthFileLinesAreWarningsWithTheirLine() throws Exception {
        Files.writeString(userlist, "\"app\" \"pw\"\nbroken\n");
        Run r = check("");
        assertWarning(r, Pattern.quote(userlist + ":2: skipped"));
    }

    @Test
    void forcedUserWithoutASecretIsAWarningWithTheDatabaseLine() throws Exception {
        Run r = checkDbs("db = host=127.0.0.1 dbname=db user=ghost\nok = host=127.0.0.1 user=app\n"
                + "pw = host=127.0.0.1 user=ghost password=x\n", "");
        assertWarning(r, Pattern.quote(ini + ":" + lineOf("db = ") + ": warning: [databases] db: forced user=ghost"));
        assertFalse(r.out().contains("[databases] ok:") || r.out().contains("[databases] pw:"), r.out());
        Run trust = checkDbs("db = host=127.0.0.1 dbname=db user=ghost\n", "auth_type = trust\n");
        assertFalse(trust.out().contains("forced user"), trust.out());
    }

    @Test
    void poolSizesAboveMaxDbConnectionsIsAWarning() throws Exception {
        Run r = checkDbs("a = host=127.0.0.1\nb = host=127.0.0.1 pool_size=15\n", "default_pool_size = 10\nmax_db_connections = 20\n");
        assertWarning(r, Pattern.quote(ini + ":" + lineOf("max_db_connections") + ": warning: pool sizes")
                + ".*add up to 25, more than max_db_connections = 20");
        Run fits = checkDbs("a = host=127.0.0.1\nb = host=127.0.0.1\n", "default_pool_size = 10\nmax_db_connections = 20\n");
        assertFalse(fits.out().contains("pool sizes"), fits.out());
    }

    @Test
    void maxClientConnAboveTheOpenFilesLimitIsAWarning() throws Exception {
        OptionalLong limit = ConfigCommand.openFilesSoftLimit();
        assumeTrue(limit.isPresent() && limit.getAsLong() < Integer.MAX_VALUE, "needs a finite open-files limit");
        Run r = check("max_client_conn = " + (limit.getAsLong() + 1) + "\n");
        assertWarning(r, Pattern.quote(ini + ":" + lineOf("max_client_conn") + ": warning: max_client_conn = ")
                + ".*open-files soft limit " + limit.getAsLong());
    }

    @Test
    void anAcceptGraceNotBelowTheDrainDeadlineIsAWarning() throws Exception {
        Run r = check("drain_timeout = 10\ndrain_accept_grace = 10\n");
        assertWarning(r, Pattern.quote(ini + ":" + lineOf("drain_accept_grace") + ": warning: drain_accept_grace = 10s"
                + " is not below drain_timeout = 10s"));
        Run below = check("drain_timeout = 10\ndrain_accept_grace = 5\n", "--strict");
        assertEquals(0, below.code(), below.out());
        Run noDeadline = check("drain_timeout = 0\ndrain_accept_grace = 5\n", "--strict");
        assertEquals(0, noDeadline.code(), noDeadline.out());
    }

    @Test
    void serverResetQueryInTransactionModeIsAWarning() throws Exception {
        Run r = check("pool_mode = transaction\nserver_reset_query = DISCARD ALL\n");
        assertWarning(r, Pattern.quote(ini + ":" + lineOf("server_reset_query") + ": warning: server_reset_query"));
        Run always = check("pool_mode = transaction\nserver_reset_query = DISCARD ALL\nserver_reset_query_always = 1\n");
        assertFalse(always.out().contains("server_reset_query is not run"), always.out());
        Run session = check("server_reset_query = DISCARD ALL\n");
        assertFalse(session.out().contains("server_reset_query is not run"), session.out());
    }

    @Test
    void ignoreStartupParametersWithoutExtraFloatDigitsIsAWarning() throws Exception {
        Run r = check("ignore_startup_parameters = options\n");
        assertWarning(r, Pattern.quote(ini + ":" + lineOf("= options") + ": warning: ignore_startup_parameters lacks"));
    }

    @Test
    void settingsWithoutEffectAreWarningsAndLdapOptionsAreApplied() throws Exception {
        Run r = check("auth_ldap_options = ldapserver=ldap.example.net ldapprefix=cn=\npkt_buf = 8192\n");
        assertFalse(r.out().contains("auth_ldap_options"), r.out());
        assertWarning(r, Pattern.quote(ini + ":" + lineOf("pkt_buf") + ": warning: pkt_buf has no effect in poolctl: "
                + "Netty sizes"));
    }

    /** auth_type = ldap needs options poolctl can use: the start would refuse others, so check does. */
    @Test
    void ldapWithoutUsableOptionsIsAnErrorAsAtStart() throws Exception {
        Run none = check("auth_type = ldap\n");
        assertEquals(2, none.code());
        assertTrue(none.out().contains("auth_ldap_options: no LDAP options are set"), none.out());
        Run mixed = check("auth_type = ldap\nauth_ldap_options = ldapserver=h ldapprefix=cn= ldapbasedn=dc=x\n");
        assertEquals(2, mixed.code());
        assertTrue(mixed.out().contains("cannot mix options for simple bind and search+bind modes"), mixed.out());
        Run ok = check("auth_type = ldap\nauth_ldap_options = ldapurl=\"ldap://127.0.0.1:12345/dc=example,dc=net?uid?sub\"\n");
        assertEquals(0, ok.code(), ok.out());
    }

    @Test
    void hbaLdapLinesWithUnusableOptionsAreWarnings() throws Exception {
        Path hba = dir.resolve("ldap-hba.conf");
        Files.writeString(hba, "host all all 0.0.0.0/0 ldap ldapserver=h\n");
        Run r = check("auth_type = hba\nauth_hba_file = " + hba + "\n");
        assertEquals(0, r.code(), r.out());
        assertTrue(r.out().contains("hba line 1: authentication method \"ldap\" requires argument"), r.out());
    }

    /**
     * poolctl's own keys (PgBouncer has none of them) are checked alike: a valid value is applied, so it is no
     * warning, not even "read but not applied", and a bad one is the error start would refuse, naming the key.
     */
    @Test
    void poolctlsOwnSettingsAreCheckedAlikeTheHttpListenerToo() throws Exception {
        for (String valid : new String[] {"event_loops = 2", "io_method = epoll", "drain_timeout = 5",
            "drain_on_sigterm = 1", "drain_message = bye", "http_listen_addr = *", "http_listen_addr = 10.0.0.5",
            "http_listen_port = 9127"}) {
            Run r = check(valid + "\n", "--strict");
            assertEquals(0, r.code(), valid + ":\n" + r.out());
            assertTrue(r.out().contains("0 error(s), 0 warning(s)"), valid + ":\n" + r.out());
        }
        for (String bad : new String[] {"event_loops = x", "io_method = foo", "drain_timeout = x",
            "drain_on_sigterm = maybe", "http_listen_port = x", "http_listen_port = 70000", "http_listen_addr ="}) {
            Run r = check(bad + "\n");
            assertEquals(2, r.code(), bad + ":\n" + r.out());
            String key = bad.substring(0, bad.indexOf(' '));
            assertWarning(r, "(?m)^error: " + Pattern.quote(ini.toString()) + "(:\\d+)?: \\[pgbouncer\\] " + key + ": ");
        }
        Run r = check("http_listen_addr =\n");
        assertTrue(r.out().contains("http_listen_addr: empty; give an address, or * for every address"), r.out());
    }

    @Test
    void anAuthDbnameThatIsNotConfiguredIsAWarning() throws Exception {
        Run r = checkDbs("db = host=127.0.0.1 dbname=db auth_user=lookup auth_dbname=nowhere\n", "");
        assertWarning(r, Pattern.quote(ini + ":" + lineOf("auth_dbname=nowhere")
                + ": warning: [databases] db: authentication database \"nowhere\" is not configured"));
        Run ok = checkDbs("db = host=127.0.0.1 dbname=db auth_user=lookup\n", "");
        assertFalse(ok.out().contains("auth_user"), "auth_user is applied now: " + ok.out());
    }

    /** The pgbouncer.ini block of the seed guide, with its auth_file pointing at a temp userlist. */
    @Test
    void seedGuideConfigHasNoErrors() throws Exception {
        Files.writeString(ini, String.join("\n",
                "[databases]",
                "hospitality_platform = host=localhost port=5432 dbname=hospitality_platform",
                "",
                "[pgbouncer]",
                "# Connection settings",
                "listen_addr = 0.0.0.0",
                "listen_port = 6432",
                "auth_type = md5",
                "auth_file = " + userlist,
                "",
                "# Pool settings for 1M organizations",
                "pool_mode = transaction",
                "max_client_conn = 10000",
                "default_pool_size = 100",
                "min_pool_size = 10",
                "reserve_pool_size = 10",
                "reserve_pool_timeout = 5",
                "",
                "# Connection limits",
                "max_db_connections = 100",
                "max_user_connections = 10000",
                "",
                "# Timeouts",
                "server_idle_timeout = 600",
                "server_lifetime = 3600",
                "server_connect_timeout = 15",
                "query_timeout = 0",
                "query_wait_timeout = 120",
                "client_idle_timeout = 0",
                "client_login_timeout = 60",
                "",
                "# Logging",
                "log_connections = 1",
                "log_disconnections = 1",
                "log_pooler_errors = 1",
                "stats_period = 60",
                "",
                "# Advanced settings",
                "ignore_startup_parameters = extra_float_digits",
                "",
                "# Performance tuning",
                "tcp_keepalive = 1",
                "tcp_keepcnt = 5",
                "tcp_keepidle = 30",
                "tcp_keepintvl = 10",
                ""));
        Files.writeString(userlist, "\"hospitality_user\" \"md5" + "0".repeat(32) + "\"\n");
        Run r = run("config", "check", "-c", ini.toString());
        assertEquals(0, r.code(), r.out());
        assertTrue(r.out().contains(" 0 error(s)"), r.out());
    }

    @Test
    void showPrintsValueDefaultAndSource() throws Exception {
        check("pool_mode = transaction\n");
        Run r = run("config", "show", "-c", ini.toString());
        assertEquals(0, r.code(), r.err());
        String[] lines = r.out().split("\n");
        assertTrue(lines[0].matches("key\\s+value\\s+default\\s+source"), lines[0]);
        assertTrue(r.out().lines().anyMatch(l -> l.matches("pool_mode\\s+transaction\\s+session\\s+file")), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.matches("listen_backlog\\s+128\\s+128\\s+default")), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.matches("http_listen_port\\s+0\\s+0\\s+default")), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.matches("http_listen_addr\\s+127\\.0\\.0\\.1\\s+127\\.0\\.0\\.1\\s+default")),
                r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.matches("listen_port\\s+6432\\s+6432\\s+file")),
                "set in the file, even to the default: " + r.out());
        // aligned: every row's value column starts at the same offset, after the padded key
        int valueColumn = lines[0].indexOf("value");
        assertTrue(r.out().lines().allMatch(l -> l.substring(valueColumn - 2, valueColumn).equals("  ")), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("pool_mode ") && l.indexOf("transaction") == valueColumn),
                r.out());
    }

    @Test
    void showOfABrokenFileExitsTwo() throws Exception {
        check("max_client_conn = lots\n");
        Run r = run("config", "show", "-c", ini.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("max_client_conn"), r.err());
    }

    @Test
    void helpHasExamplesAndExitCodes() {
        Run r = run("config", "check", "--help");
        assertTrue(r.out().contains("poolctl config check -c") && r.out().contains("Exit codes:"), r.out());
        assertTrue(run("config", "show", "--help").out().contains("poolctl config show -c"));
    }
}
