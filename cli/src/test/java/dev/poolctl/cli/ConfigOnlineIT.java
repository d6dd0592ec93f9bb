package dev.poolctl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.cli.support.Cli;
import dev.poolctl.pooler.support.FreePort;
import dev.poolctl.pooler.support.PostgresCluster;
import dev.poolctl.pooler.support.PostgresClusterExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** config check --online against a real PostgreSQL: a login that works, one refused, a dead port, no user. */
@ExtendWith(PostgresClusterExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ConfigOnlineIT {
    static PostgresCluster pg;

    @Test
    void eachDatabaseHostIsTriedAndTheProblemsAreWarnings(@TempDir Path dir) throws Exception {
        Path userlist = dir.resolve("userlist.txt");
        Files.writeString(userlist, "\"" + PostgresCluster.CLEARTEXT_USER + "\" \"" + PostgresCluster.CLEARTEXT_PASSWORD
                + "\"\n");
        int dead = FreePort.find();
        Path ini = dir.resolve("pgbouncer.ini");
        String server = "host=127.0.0.1 port=" + pg.port() + " dbname=" + PostgresCluster.TEST_DB;
        Files.writeString(ini, "[databases]\n"
                + "good = " + server + " user=" + PostgresCluster.CLEARTEXT_USER + "\n"
                + "wrong = " + server + " user=" + PostgresCluster.CLEARTEXT_USER + " password=nope\n"
                + "gone = host=127.0.0.1 port=" + dead + " dbname=x\n"
                + "anyone = " + server + "\n"
                + "\n[pgbouncer]\nlisten_port = 6432\nauth_type = md5\nauth_file = " + userlist + "\n"
                + "ignore_startup_parameters = extra_float_digits\n");
        Cli offline = Cli.run("config", "check", "-c", ini.toString(), "--strict");
        assertEquals(0, offline.code(), "nothing to report without --online: " + offline);

        Cli r = Cli.run("config", "check", "-c", ini.toString(), "--online", "--strict");
        assertEquals(1, r.code(), r.toString());
        String out = r.out();
        assertTrue(out.contains("online: good 127.0.0.1:" + pg.port() + ": reachable, login as "
                + PostgresCluster.CLEARTEXT_USER + " to testdb ok"), out);
        assertTrue(out.contains("online: wrong 127.0.0.1:" + pg.port() + ": refuses the login as "
                + PostgresCluster.CLEARTEXT_USER + ": password authentication failed"), out);
        assertTrue(out.contains("(SQLSTATE 28P01)"), out);
        assertTrue(out.contains("online: gone 127.0.0.1:" + dead + ": unreachable"), out);
        assertTrue(out.contains("online: anyone 127.0.0.1:" + pg.port() + ": reachable (no user= to log in as"), out);
        assertTrue(out.contains("2 warning(s)"), "the refused login and the dead port: " + out);
    }
}
