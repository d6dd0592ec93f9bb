package dev.poolctl.pooler.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.poolctl.pooler.config.PoolMode;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class PoolerConfigTest {
    private static DatabaseConfig db(String name, String connectString) {
        return DatabaseConfig.parse(name, connectString, warning -> { });
    }

    private static PoolerConfig config() {
        GeneralSettings general = GeneralSettings.of(Map.of(Setting.POOL_MODE, "session",
                Setting.DEFAULT_POOL_SIZE, "20", Setting.RESERVE_POOL_SIZE, "1", Setting.MAX_USER_CONNECTIONS, "50",
                Setting.SERVER_LIFETIME, "100", Setting.MAX_DB_CLIENT_CONNECTIONS, "30",
                Setting.MAX_USER_CLIENT_CONNECTIONS, "40"));
        Map<String, DatabaseConfig> databases = new LinkedHashMap<>();
        databases.put("tuned", db("tuned", "pool_size=5 reserve_pool_size=2 pool_mode=transaction min_pool_size=3"
                + " max_db_connections=7 server_lifetime=10 max_db_client_connections=8"));
        databases.put("plain", db("plain", "host=x"));
        Map<String, UserConfig> users = new LinkedHashMap<>();
        users.put("alice", new UserConfig("alice", PoolMode.STATEMENT, 4, 9, 0, null, null, null, null, null, 3));
        users.put("bob", new UserConfig("bob", null, null, null, null));
        return new PoolerConfig(Path.of("pgbouncer.ini"), general, databases, users);
    }

    @Test
    void userBeatsDatabaseBeatsGeneral() {
        PoolerConfig config = config();
        DatabaseConfig tuned = config.database("tuned").orElseThrow();
        DatabaseConfig plain = config.database("plain").orElseThrow();

        assertEquals(PoolMode.STATEMENT, config.poolMode(tuned, "alice"));
        assertEquals(PoolMode.TRANSACTION, config.poolMode(tuned, "bob"));
        assertEquals(PoolMode.SESSION, config.poolMode(plain, "carol"));

        assertEquals(9, config.poolSize(tuned, "alice"));
        assertEquals(5, config.poolSize(tuned, "bob"));
        assertEquals(5, config.poolSize(tuned));
        assertEquals(20, config.poolSize(plain, "carol"));

        assertEquals(0, config.reservePoolSize(tuned, "alice"));
        assertEquals(2, config.reservePoolSize(tuned, "bob"));
        assertEquals(1, config.reservePoolSize(plain, "bob"));

        assertEquals(3, config.minPoolSize(tuned));
        assertEquals(0, config.minPoolSize(plain));
        assertEquals(7, config.maxDbConnections(tuned));
        assertEquals(0, config.maxDbConnections(plain));
        assertEquals(4, config.maxUserConnections("alice"));
        assertEquals(50, config.maxUserConnections("bob"));
        assertEquals(8, config.maxDbClientConnections(tuned));
        assertEquals(30, config.maxDbClientConnections(plain));
        assertEquals(3, config.maxUserClientConnections("alice"));
        assertEquals(40, config.maxUserClientConnections("bob"));
        assertEquals(40, config.maxUserClientConnections("carol"), "a user without an entry: the general limit");
        assertEquals(Duration.ofSeconds(10), config.serverLifetime(tuned));
        assertEquals(Duration.ofSeconds(100), config.serverLifetime(plain));
    }

    @Test
    void mapsAreUnmodifiableAndKeepFileOrder() {
        PoolerConfig config = config();
        assertEquals(List.of("tuned", "plain"), List.copyOf(config.databases().keySet()));
        assertThrows(UnsupportedOperationException.class, () -> config.databases().remove("plain"));
        assertThrows(UnsupportedOperationException.class, () -> config.users().clear());
        assertEquals("bob", config.user("bob").orElseThrow().name());
        assertEquals(true, config.user("nobody").isEmpty());
    }

    /** PgBouncer: a per-entry connection limit of 0 (or unset) falls back to the global limit, it is not unlimited. */
    @Test
    void zeroPerEntryLimitMeansTheGlobalLimit() {
        GeneralSettings general = GeneralSettings.of(Map.of(Setting.MAX_DB_CONNECTIONS, "10",
                Setting.MAX_USER_CONNECTIONS, "50", Setting.SERVER_LIFETIME, "100", Setting.MAX_DB_CLIENT_CONNECTIONS, "5",
                Setting.MAX_USER_CLIENT_CONNECTIONS, "6"));
        DatabaseConfig zero = db("zero", "max_db_connections=0 server_lifetime=0 max_db_client_connections=0");
        PoolerConfig config = new PoolerConfig(Path.of("pgbouncer.ini"), general, Map.of("zero", zero),
                Map.of("dora", new UserConfig("dora", null, 0, null, null, null, null, null, null, null, 0)));
        assertEquals(10, config.maxDbConnections(zero));
        assertEquals(50, config.maxUserConnections("dora"));
        assertEquals(Duration.ofSeconds(100), config.serverLifetime(zero));
        assertEquals(5, config.maxDbClientConnections(zero));
        assertEquals(6, config.maxUserClientConnections("dora"));
    }
}
