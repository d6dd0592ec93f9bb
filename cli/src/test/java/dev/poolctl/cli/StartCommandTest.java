package dev.poolctl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code poolctl start} refuses what it cannot run with a clear message and a distinct exit code. */
class StartCommandTest {
    @TempDir
    Path dir;

    private record Run(int code, String out, String err) {}

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Poolctl.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void startWithoutConfigIsAUsageError() {
        Run r = run("start");
        assertEquals(ExitCodes.USAGE, r.code());
        assertTrue(r.err().contains("no config file given"), r.err());
    }

    @Test
    void badValueNamesSectionAndKeyAndExitsWithConfigCode() throws Exception {
        Path ini = dir.resolve("pgbouncer.ini");
        Files.writeString(ini, "[databases]\n[pgbouncer]\nmax_client_conn = lots\n");
        Run r = run("start", "-c", ini.toString());
        assertEquals(ExitCodes.CONFIG, r.code());
        assertTrue(r.err().contains("[pgbouncer] max_client_conn"), r.err());
        assertTrue(!r.err().contains("Exception"), "no stack trace for the user: " + r.err());
    }

    @Test
    void missingFileIsAConfigError() {
        Run r = run("start", dir.resolve("nope.ini").toString());
        assertEquals(ExitCodes.CONFIG, r.code());
        assertTrue(r.err().contains("nope.ini"), r.err());
    }

    @Test
    void tlsRequiredWithoutItsFilesIsRefusedNamingTheKey() throws Exception {
        Path ini = dir.resolve("pgbouncer.ini");
        Files.writeString(ini, "[databases]\n[pgbouncer]\nclient_tls_sslmode = require\n");
        Run r = run("start", "-c", ini.toString());
        assertEquals(ExitCodes.CONFIG, r.code());
        assertTrue(r.err().contains("client_tls_sslmode: 'require' needs client_tls_key_file"), r.err());
    }

    /** -R reaches the running pooler's console over the unix socket: without one it is refused before anything starts. */
    @Test
    void onlineRestartWithoutAUnixSocketIsRefused() throws Exception {
        Path ini = dir.resolve("pgbouncer.ini");
        Files.writeString(ini, "[databases]\n[pgbouncer]\nunix_socket_dir =\n");
        for (String flag : new String[] {"-R", "--reboot"}) {
            Run r = run("start", flag, "-q", ini.toString());
            assertEquals(ExitCodes.ERROR, r.code(), r.err());
            assertTrue(r.err().contains("online restart: needs unix_socket_dir"), r.err());
        }
    }

    @Test
    void versionNamesTheTlsLibraryAsPgBouncerDoes() {
        for (String flag : new String[] {"--version", "-V"}) {
            Run r = run(flag);
            assertEquals(ExitCodes.OK, r.code());
            String[] lines = r.out().split("\n");
            assertTrue(lines[0].startsWith("poolctl "), r.out());
            assertTrue(lines[1].matches("tls: (BoringSSL \\(netty-tcnative|SunJSSE \\(Java ).*"), r.out());
        }
    }

    @Test
    void helpShowsAnExampleAndTheExitCodes() {
        Run r = run("start", "--help");
        assertEquals(ExitCodes.OK, r.code());
        assertTrue(r.out().contains("poolctl start -c pgbouncer.ini"), r.out());
        assertTrue(r.out().contains("invalid configuration"), r.out());
    }
}
