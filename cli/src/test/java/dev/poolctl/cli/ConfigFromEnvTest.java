package dev.poolctl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.cli.support.Cli;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code poolctl config from-env}: what start --from-env would run with, and nothing written. */
class ConfigFromEnvTest {
    /** The environment of the operator guide's docker-compose file ("Option 1: Docker"), in its order. */
    static final List<String> GUIDE_LINES = List.of(
            "DATABASE_URL=postgresql://user:password@postgres:5432/hospitality_platform",
            "POOL_MODE=transaction", "MAX_CLIENT_CONN=10000", "DEFAULT_POOL_SIZE=100", "MIN_POOL_SIZE=10",
            "RESERVE_POOL_SIZE=10", "RESERVE_POOL_TIMEOUT=5", "MAX_DB_CONNECTIONS=100", "MAX_USER_CONNECTIONS=10000");

    static final Map<String, String> GUIDE = environment(GUIDE_LINES);

    /** {@code NAME=value} lines (as docker-compose lists them) as a map. */
    static Map<String, String> environment(List<String> lines) {
        Map<String, String> env = new LinkedHashMap<>();
        lines.forEach(l -> env.put(l.substring(0, l.indexOf('=')), l.substring(l.indexOf('=') + 1)));
        return env;
    }

    @TempDir
    Path dir;

    @Test
    void printsTheIniAndTheUsersWithPasswordsMasked() {
        Path ini = dir.resolve("pgbouncer.ini");
        Cli r = Cli.runWithEnv(GUIDE, "config", "from-env", "-c", ini.toString());
        assertEquals(ExitCodes.OK, r.code(), r.toString());
        assertTrue(r.out().contains("\nhospitality_platform = host=postgres port=5432 auth_user=user\n"), r.out());
        assertTrue(r.out().contains("\npool_mode = transaction\n"), r.out());
        assertTrue(r.out().contains("\nlisten_port = 6432\n"), r.out());
        assertTrue(r.out().contains("\nauth_file = " + dir.resolve("userlist.txt") + "\n"), r.out());
        assertTrue(r.out().contains("\"user\" \"********\""), r.out());
        assertFalse(r.out().contains("password\""), "masked: " + r.out());
        assertFalse(Files.exists(ini), "config from-env writes nothing");

        Cli shown = Cli.runWithEnv(GUIDE, "config", "from-env", "-c", ini.toString(), "--show-secrets");
        assertTrue(shown.out().contains("\"user\" \"password\""), shown.out());
    }

    @Test
    void aKubernetesServiceLinkIsIgnoredAndSaidSo() {
        Map<String, String> env = new HashMap<>(GUIDE);
        env.put("DB_PORT", "tcp://10.96.0.12:5432"); // a Service named db in the namespace
        Cli r = Cli.runWithEnv(env, "config", "from-env", "-c", dir.resolve("pgbouncer.ini").toString());
        assertEquals(ExitCodes.OK, r.code(), r.toString());
        assertTrue(r.err().contains("poolctl config from-env: DB_PORT=tcp://10.96.0.12:5432 ignored: a Kubernetes"
                + " service link (of a Service named db), not a port\n"), r.err());
        assertTrue(r.out().contains("\nhospitality_platform = host=postgres port=5432 auth_user=user\n"), r.out());
    }

    @Test
    void aBadVariableIsNamedAndNothingIsPrinted() {
        Map<String, String> env = new HashMap<>(GUIDE);
        env.put("MAX_CLIENT_CONN", "plenty");
        Cli r = Cli.runWithEnv(env, "config", "from-env", "-c", dir.resolve("pgbouncer.ini").toString());
        assertEquals(ExitCodes.CONFIG, r.code(), r.toString());
        assertTrue(r.err().startsWith("poolctl config from-env: MAX_CLIENT_CONN: "), r.err());
        assertEquals("", r.out());
    }

    @Test
    void whatTheLoaderRefusesIsRefusedToo() {
        Map<String, String> env = new HashMap<>(GUIDE);
        env.put("AUTH_TYPE", "pam"); // a value PgBouncer reads, and poolctl (as a PgBouncer built without PAM) refuses
        Cli r = Cli.runWithEnv(env, "config", "from-env", "-c", dir.resolve("pgbouncer.ini").toString());
        assertEquals(ExitCodes.CONFIG, r.code(), r.toString());
        assertTrue(r.err().contains("the config built from the environment: "), r.err());
        assertFalse(r.err().contains("poolctl-env-"), "no temp file name: " + r.err());
    }

    @Test
    void aFileOfOnesOwnIsRunAsItIs() throws Exception {
        Path ini = dir.resolve("pgbouncer.ini");
        Files.writeString(ini, "[databases]\n* = host=127.0.0.1\n[pgbouncer]\nauth_file = mine.txt\n");
        Cli r = Cli.runWithEnv(GUIDE, "config", "from-env", "-c", ini.toString());
        assertEquals(ExitCodes.OK, r.code(), r.toString());
        assertTrue(r.err().contains(ini + " is not generated: it is run as it is"), r.err());
        assertFalse(r.out().contains("[databases]"), r.out());
        assertTrue(r.out().contains("\"user\" \"********\""), "the environment's users still go in: " + r.out());
    }
}
