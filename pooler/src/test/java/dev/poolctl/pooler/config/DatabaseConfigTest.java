package dev.poolctl.pooler.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.pooler.config.PoolMode;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

class DatabaseConfigTest {
    private final List<String> warnings = new ArrayList<>();

    private DatabaseConfig parse(String connectString) {
        return DatabaseConfig.parse("appdb", connectString, warnings::add);
    }

    @Test
    void everyKey() {
        DatabaseConfig db = parse("dbname=real host=h1,h2 port=6543 user=u password=pw auth_user=au pool_size=5"
                + " min_pool_size=1 reserve_pool=2 pool_mode=transaction max_db_connections=9 client_encoding=UTF8"
                + " datestyle='ISO, MDY' timezone=UTC application_name=app connect_query='SET x = 1'"
                + " server_lifetime=0.5");
        assertEquals("appdb", db.name());
        assertEquals("real", db.dbname());
        assertEquals(List.of("h1", "h2"), db.hosts());
        assertEquals(6543, db.port());
        assertEquals("u", db.user());
        assertEquals("pw", db.password());
        assertEquals("au", db.authUser());
        assertEquals(5, db.poolSize());
        assertEquals(1, db.minPoolSize());
        assertEquals(2, db.reservePoolSize());
        assertEquals(PoolMode.TRANSACTION, db.poolMode());
        assertEquals(9, db.maxDbConnections());
        assertEquals("UTF8", db.clientEncoding());
        assertEquals("ISO, MDY", db.datestyle());
        assertEquals("UTC", db.timezone());
        assertEquals("app", db.applicationName());
        assertEquals("SET x = 1", db.connectQuery());
        assertEquals(Duration.ofMillis(500), db.serverLifetime());
        assertEquals(List.of(), warnings);
    }

    @Test
    void emptyConnectStringMeansDefaults() {
        DatabaseConfig db = parse("   ");
        assertEquals(List.of(), db.hosts());
        assertEquals(5432, db.port());
        assertNull(db.dbname());
        assertEquals("appdb", db.targetDbname());
        assertNull(db.poolSize());
        assertNull(db.poolMode());
    }

    @Test
    void spacesAroundEqualsAndReservePoolSizeAlias() {
        DatabaseConfig db = parse("host = h  reserve_pool_size =3");
        assertEquals(List.of("h"), db.hosts());
        assertEquals(3, db.reservePoolSize());
    }

    @Test
    void acceptedButIgnoredKeysWarnAndAuthQueryKeysAreRead() {
        DatabaseConfig db = parse("host=h auth_query='SELECT 1' auth_dbname=x load_balance_hosts=disable"
                + " max_db_client_connections=3 query_wait_timeout=5");
        assertEquals(List.of("h"), db.hosts());
        assertTrue(warnings.isEmpty(), "every key is applied: " + warnings);
        assertEquals(3, db.maxDbClientConnections(), "max_db_client_connections is applied (1.24), so not warned");
        assertEquals(3, db.forClientDatabase("other").maxDbClientConnections(), "an auto-database keeps it");
        assertEquals(Duration.ofSeconds(5), db.queryWaitTimeout(), "applied (PgBouncer 1.26), so not warned");
        assertEquals(Duration.ofSeconds(5), db.forClientDatabase("other").queryWaitTimeout());
        assertNull(parse("host=h").queryWaitTimeout(), "not set: the global one applies");
        assertEquals(Duration.ZERO, parse("host=h query_wait_timeout=0").queryWaitTimeout(), "set to 0: counts");
        assertEquals("SELECT 1", db.authQuery(), "auth_query and auth_dbname are applied, so not warned");
        assertEquals(LoadBalanceHosts.DISABLE, db.loadBalanceHosts(), "applied, so not warned");
        assertEquals("x", db.authDbname());
        DatabaseConfig auto = db.forClientDatabase("other");
        assertEquals("SELECT 1", auto.authQuery(), "an auto-database keeps them");
        assertEquals("x", auto.authDbname());
    }

    @Test
    void hostListChoiceAndTargetSessionAttrs() {
        DatabaseConfig db = parse("host=a,b port=5433 load_balance_hosts=disable target_session_attrs=read-write");
        assertEquals(List.of("a", "b"), db.hosts());
        assertEquals(LoadBalanceHosts.DISABLE, db.loadBalanceHosts());
        assertEquals(TargetSessionAttrs.READ_WRITE, db.targetSessionAttrs());
        DatabaseConfig defaults = parse("host=a,b");
        assertEquals(LoadBalanceHosts.ROUND_ROBIN, defaults.loadBalanceHosts());
        assertEquals(TargetSessionAttrs.ANY, defaults.targetSessionAttrs());
        for (String v : List.of("any", "read-write", "read-only", "primary", "standby", "prefer-standby")) {
            assertEquals(v, parse("host=a target_session_attrs=" + v).targetSessionAttrs().toString());
        }
        assertEquals(TargetSessionAttrs.PREFER_STANDBY,
                parse("host=a target_session_attrs=prefer-standby").forClientDatabase("x").targetSessionAttrs(),
                "an auto-database keeps it");
        assertEquals("load_balance_hosts: invalid value 'random': expected round-robin or disable",
                assertThrows(IllegalArgumentException.class, () -> parse("load_balance_hosts=random")).getMessage());
        assertEquals("target_session_attrs: invalid value 'Read-Write': expected any, read-write, read-only, primary,"
                        + " standby or prefer-standby",
                assertThrows(IllegalArgumentException.class, () -> parse("target_session_attrs=Read-Write"))
                        .getMessage());
        assertTrue(warnings.isEmpty(), warnings.toString());
    }

    @Test
    void errors() {
        assertEquals("unrecognized connection parameter 'sslmode'",
                assertThrows(IllegalArgumentException.class, () -> parse("sslmode=require")).getMessage());
        assertEquals("pool_size: invalid integer '10x'",
                assertThrows(IllegalArgumentException.class, () -> parse("pool_size=10x")).getMessage());
        assertEquals("port: invalid port '70000'",
                assertThrows(IllegalArgumentException.class, () -> parse("port=70000")).getMessage());
        for (String bad : List.of("host", "host=", "host=''", "=x", "host='a", "host='a'b=1", "host=a,,b")) {
            assertThrows(IllegalArgumentException.class, () -> parse(bad), bad);
        }
    }

    @Test
    void fallbackCopyForAClientDatabase() {
        DatabaseConfig fallback = DatabaseConfig.parse("*", "host=h pool_size=4", warnings::add);
        assertTrue(fallback.isFallback());
        DatabaseConfig copy = fallback.forClientDatabase("sales");
        assertFalse(copy.isFallback());
        assertEquals("sales", copy.name());
        assertEquals("sales", copy.dbname());
        assertEquals(4, copy.poolSize());

        DatabaseConfig pinned = DatabaseConfig.parse("*", "host=h dbname=shared", warnings::add);
        assertEquals("shared", pinned.forClientDatabase("sales").dbname());
    }

    @Test
    void toStringHidesThePassword() {
        String text = parse("host=h password=secret").toString();
        assertFalse(text.contains("secret"), text);
        assertTrue(text.contains("password=***"), text);
    }

    @Test
    void clientConnectionLimits() {
        assertEquals(null, parse("host=h").maxDbClientConnections(), "unset: the general setting applies");
        assertEquals(0, parse("host=h max_db_client_connections=0").maxDbClientConnections());
        assertEquals("max_db_client_connections: invalid integer 'lots'", assertThrows(IllegalArgumentException.class,
                () -> parse("max_db_client_connections=lots")).getMessage());
        UserConfig user = UserConfig.parse("bob", "max_user_client_connections=2", warnings::add);
        assertEquals(2, user.maxUserClientConnections());
        assertEquals(null, UserConfig.parse("bob", "pool_size=1", warnings::add).maxUserClientConnections());
        assertEquals("max_user_client_connections: invalid integer '2x'", assertThrows(IllegalArgumentException.class,
                () -> UserConfig.parse("bob", "max_user_client_connections=2x", warnings::add)).getMessage());
        assertTrue(warnings.isEmpty(), warnings.toString());
    }

    @Test
    void userEntries() {
        UserConfig user = UserConfig.parse("bob", "pool_mode=session max_user_connections=10 pool_size=3"
                + " reserve_pool_size=1 max_user_client_connections=4", warnings::add);
        assertEquals(new UserConfig("bob", PoolMode.SESSION, 10, 3, 1, null, null, null, null, null, 4), user);
        assertTrue(warnings.isEmpty(), "max_user_client_connections is applied (1.24), so not warned: " + warnings);
        assertEquals("unrecognized user parameter 'host'", assertThrows(IllegalArgumentException.class,
                () -> UserConfig.parse("bob", "host=x", warnings::add)).getMessage());
    }

    @Test
    void userTimeouts() {
        UserConfig user = UserConfig.parse("bob", "query_timeout=5 idle_transaction_timeout=1.5"
                + " transaction_timeout=20 client_idle_timeout=60 query_wait_timeout=0", warnings::add);
        assertEquals(new UserConfig("bob", null, null, null, null, Duration.ofSeconds(5), Duration.ofMillis(1500),
                Duration.ofSeconds(20), Duration.ofSeconds(60), Duration.ZERO, null), user);
        assertEquals(List.of(), warnings, "applied, so not warned");
        assertEquals(new UserConfig("carol", null, null, null, null), UserConfig.parse("carol", "", warnings::add),
                "none set: null, so the global values apply");
        assertEquals("transaction_timeout: invalid duration 'soon': expected seconds, like 30 or 0.5",
                assertThrows(IllegalArgumentException.class,
                        () -> UserConfig.parse("bob", "transaction_timeout=soon", warnings::add)).getMessage());
    }
}
