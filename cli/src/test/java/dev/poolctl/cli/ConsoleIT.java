package dev.poolctl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.cli.support.Cli;
import dev.poolctl.cli.support.PassFiles;
import dev.poolctl.pooler.Version;
import dev.poolctl.pooler.support.FreePort;
import dev.poolctl.pooler.support.PoolerFixture;
import dev.poolctl.pooler.support.PostgresCluster;
import dev.poolctl.pooler.support.PostgresClusterExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code poolctl console} with stdin from a "pipe" (not a terminal): lines run without prompts against a real
 * pooler, errors do not end the session, and the exit code says whether any command failed.
 */
@ExtendWith(PostgresClusterExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ConsoleIT {
    static PostgresCluster pg;
    static PoolerFixture pooler;
    static Path passfile;
    static Connection client;

    @BeforeAll
    static void start(@TempDir Path dir) throws Exception {
        pooler = PoolerFixture.start(pg, PoolerFixture.settings().set("admin_users", PostgresCluster.MD5_USER));
        passfile = PassFiles.md5Admin(dir);
        client = pooler.connect(); // a testdb pool, so SHOW POOLS has a row
        try (var st = client.createStatement()) {
            st.execute("select 1");
        }
    }

    @AfterAll
    static void stop() throws Exception {
        if (client != null) {
            client.close();
        }
        if (pooler != null) {
            pooler.close();
        }
    }

    static Cli console(String stdin) {
        return Cli.runWithInput(stdin, "console", "-h", "127.0.0.1", "-p", Integer.toString(pooler.port()), "-U",
                PostgresCluster.MD5_USER, "--passfile", passfile.toString());
    }

    @Test
    void runsLinesFromStdinAndExitsWith4WhenOneFailed() {
        Cli r = console("show version\nshow pools;\nbogus\n\\q\nshow stats\n");
        assertEquals(4, r.code(), r.toString());
        assertTrue(r.out().contains(" poolctl " + Version.VERSION), r.toString());
        assertTrue(r.out().lines().anyMatch(l -> l.matches(" database\\s+\\|\\s+user\\s+\\|\\s+cl_active .*")),
                r.toString());
        assertTrue(r.out().contains(" testdb "), r.toString());
        assertTrue(r.err().lines().anyMatch(l -> l.equals("ERROR: invalid command 'bogus', use SHOW HELP;")),
                r.toString());
        // the session went on after the error, and stopped at \q: no SHOW STATS
        assertFalse(r.out().contains("total_xact_count"), r.toString());
        assertFalse(r.out().contains(dev.poolctl.cli.console.AdminConsole.PROMPT), "no prompt without a terminal: " + r);
    }

    @Test
    void exitsZeroAtEofWhenEverythingSucceeded() {
        Cli r = console("\nSHOW VERSION;\n  \nRELOAD\nshow help\n");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("(1 row)"), r.toString());
        assertTrue(r.out().lines().anyMatch(l -> l.equals("RELOAD")), r.toString());
        assertTrue(r.err().contains("NOTICE:  Console usage"), r.toString());
        assertFalse(r.err().contains("ERROR"), r.toString());
    }

    @Test
    void quitAndExitEndTheSession() {
        for (String q : new String[] {"quit", "exit", "EXIT;"}) {
            Cli r = console("bogus\n" + q + "\nshow version\n");
            assertEquals(4, r.code(), r.toString());
            assertFalse(r.out().contains("poolctl " + Version.VERSION), q + ": " + r);
        }
    }

    @Test
    void unreachablePoolerExits3() throws Exception {
        Cli r = Cli.runWithInput("show version\n", "console", "-h", "127.0.0.1", "-p",
                Integer.toString(FreePort.find()), "-U", PostgresCluster.MD5_USER,
                "--passfile", passfile.toString(), "--connect-timeout", "2");
        assertEquals(3, r.code(), r.toString());
    }

    @Test
    void helpHasExitCodesAndAnExample() {
        Cli r = Cli.run("console", "--help");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("--history=FILE"), r.out());
        assertTrue(r.out().contains("4   refused by the pooler"), r.out());
        assertTrue(r.out().contains("Examples:"), r.out());
        assertTrue(r.out().contains("poolctl console -p 6432 -U admin"), r.out());
    }
}
