package dev.poolctl.pooler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.pooler.support.FreePort;
import dev.poolctl.pooler.support.PoolerFixture;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * RELOAD and SIGHUP: the logfile is reopened (logrotate) and a changed {@code logfile} applies; the files are read
 * off the event loop, so a slow read does not stall other clients, and the console's RELOAD answers once the reload
 * is applied. Only the admin console is used, which the loop serves without any PostgreSQL.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ReloadFilesTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path dir;
    private int port;
    private Path ini;
    private Path logfile;
    private Path authFile;
    private PoolerDaemon daemon;

    @BeforeEach
    void start() throws Exception {
        port = FreePort.find();
        logfile = dir.resolve("pooler.log");
        authFile = dir.resolve("userlist.txt");
        Files.writeString(authFile, "\"admin\" \"secret\"\n");
        ini = dir.resolve("pgbouncer.ini");
        writeIni(logfile);
        daemon = PoolerDaemon.start(ini, true, 0);
    }

    private void writeIni(Path log) throws Exception {
        Files.writeString(ini, String.join("\n", "[databases]", "db = host=127.0.0.1 port=1 dbname=db", "[pgbouncer]",
                "listen_addr = 127.0.0.1", "listen_port = " + port, "unix_socket_dir =", "auth_type = plain",
                "auth_file = " + authFile, "admin_users = admin", "ignore_startup_parameters = extra_float_digits",
                "logfile = " + log, ""));
    }

    @AfterEach
    void stop() throws Exception {
        daemon.shutdown(PoolerDaemon.ShutdownMode.IMMEDIATE);
        daemon.awaitTermination(10, TimeUnit.SECONDS);
    }

    private Connection console() throws Exception {
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/pgbouncer",
                PoolerFixture.jdbcProperties("admin", "secret", "preferQueryMode=simple"));
    }

    private void reload() throws Exception {
        try (Connection c = console(); Statement st = c.createStatement()) {
            st.execute("RELOAD");
        }
    }

    private String read(Path file) throws Exception {
        assertTrue(daemon.log().flush(10_000), "log written");
        return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
    }

    @Test
    void reloadReopensTheLogfileThatLogrotateMoved() throws Exception {
        Path rotated = dir.resolve("pooler.log.1");
        assertTrue(read(logfile).contains("process up"));
        Files.move(logfile, rotated); // what logrotate does before it signals the pooler
        reload();
        reload(); // its "RELOAD command issued" is logged after the first reload reopened the file
        String fresh = read(logfile);
        assertTrue(fresh.contains("RELOAD command issued"), "the new file gets the lines after RELOAD: " + fresh);
        assertFalse(fresh.contains("process up"), fresh);
        assertTrue(read(rotated).contains("process up"), "the old lines stay in the rotated file");
    }

    @Test
    void sighupReopensTheLogfileToo() throws Exception {
        Files.move(logfile, dir.resolve("pooler.log.1"));
        daemon.reload().toCompletableFuture().get(10, TimeUnit.SECONDS); // what the HUP handler calls
        daemon.log().log("after the reload");
        assertTrue(read(logfile).contains("after the reload"), read(logfile));
    }

    @Test
    void aChangedLogfileAppliesOnReload() throws Exception {
        Path other = dir.resolve("other.log");
        writeIni(other);
        reload();
        reload();
        assertTrue(read(other).contains("RELOAD command issued"), read(other));
        int before = read(logfile).split("RELOAD command issued", -1).length;
        reload();
        assertEquals(before, read(logfile).split("RELOAD command issued", -1).length, "the old file gets no more lines");
    }

    /** PgBouncer's conffile: SHOW CONFIG names the file given at start; SET conffile makes the next RELOAD read another. */
    @Test
    void setConffileMakesTheNextReloadReadThatFile() throws Exception {
        Path other = dir.resolve("other.ini");
        Files.writeString(other, Files.readString(ini).replace("[databases]\n", "[databases]\nadded = host=127.0.0.1 port=1\n"));
        try (Connection c = console(); Statement st = c.createStatement()) {
            assertEquals(ini.toString(), configValue(st, "conffile"));
            st.execute("SET conffile = '" + other + "'");
            assertEquals(other.toString(), configValue(st, "conffile"));
            assertFalse(databases(st).contains("added"), "nothing read before RELOAD");
            st.execute("RELOAD");
            assertTrue(databases(st).contains("added"), "RELOAD read " + other);
            assertEquals(other.toString(), configValue(st, "conffile"));
        }
        assertFalse(read(logfile).contains("conffile is read but not applied"), read(logfile));
    }

    @Test
    void anUnknownSyslogFacilityRefusesTheStart() throws Exception {
        Path bad = dir.resolve("bad.ini");
        Files.writeString(bad, Files.readString(ini).replace("[pgbouncer]\n",
                "[pgbouncer]\nsyslog = 1\nsyslog_facility = local9\n").replace("listen_port = " + port,
                "listen_port = " + FreePort.find()));
        dev.poolctl.pooler.config.ConfigException e = org.junit.jupiter.api.Assertions.assertThrows(
                dev.poolctl.pooler.config.ConfigException.class, () -> PoolerDaemon.start(bad, true, 0));
        assertTrue(e.getMessage().contains("syslog_facility: unknown facility 'local9'"), e.getMessage());
    }

    private static String configValue(Statement st, String key) throws Exception {
        try (ResultSet rs = st.executeQuery("SHOW CONFIG")) {
            while (rs.next()) {
                if (rs.getString("key").equals(key)) {
                    return rs.getString("value");
                }
            }
        }
        return null;
    }

    /**
     * The auth_file becomes a FIFO that nobody writes yet: reading it blocks until the test writes. Meanwhile the
     * loop must keep serving another console client; RELOAD answers only once the new file is read and applied.
     */
    @Test
    void aSlowAuthFileReadDoesNotStallTheLoopAndReloadAnswersWhenApplied() throws Exception {
        Files.delete(authFile);
        Process mkfifo = new ProcessBuilder("mkfifo", authFile.toString()).inheritIO().start();
        assertTrue(mkfifo.waitFor(10, TimeUnit.SECONDS) && mkfifo.exitValue() == 0, "mkfifo");
        Files.writeString(ini, Files.readString(ini).replace("[databases]\n", "[databases]\nadded = host=127.0.0.1 port=1\n"));
        try (Connection other = console(); Statement otherSt = other.createStatement()) {
            CompletableFuture<Void> answered = CompletableFuture.runAsync(() -> {
                try {
                    reload();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            try {
                PoolerFixture.await("the reload thread to wait on the auth_file", WAIT,
                        () -> logContains("RELOAD command issued"));
                long t0 = System.nanoTime();
                assertFalse(databases(otherSt).contains("added"), "not applied while the file is unread");
                assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(2), "another client is answered at once");
                assertFalse(answered.isDone(), "RELOAD waits for the reload");
            } finally {
                // Opening a FIFO to write waits for its reader, whenever the reload gets to it.
                CompletableFuture.runAsync(() -> {
                    try {
                        Files.writeString(authFile, "\"admin\" \"secret\"\n");
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
            }
            answered.get(10, TimeUnit.SECONDS);
            assertTrue(databases(otherSt).contains("added"), "applied when RELOAD answered");
        }
    }

    private boolean logContains(String text) {
        try {
            return Files.readString(logfile).contains(text);
        } catch (Exception e) {
            return false;
        }
    }

    private static List<String> databases(Statement st) throws Exception {
        List<String> names = new ArrayList<>();
        try (ResultSet rs = st.executeQuery("SHOW DATABASES")) {
            while (rs.next()) {
                names.add(rs.getString("name"));
            }
        }
        return names;
    }
}
