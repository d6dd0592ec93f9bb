package dev.poolctl.pooler.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EnvConfigTest {
    /** The environment of the operator guide's docker-compose file ("Option 1: Docker"). */
    static final Map<String, String> GUIDE = Map.of(
            "DATABASE_URL", "postgresql://user:password@postgres:5432/hospitality_platform",
            "POOL_MODE", "transaction",
            "MAX_CLIENT_CONN", "10000",
            "DEFAULT_POOL_SIZE", "100",
            "MIN_POOL_SIZE", "10",
            "RESERVE_POOL_SIZE", "10",
            "RESERVE_POOL_TIMEOUT", "5",
            "MAX_DB_CONNECTIONS", "100",
            "MAX_USER_CONNECTIONS", "10000");

    @TempDir
    Path dir;

    @Test
    void theGuidesEnvironmentBecomesAConfigThatLoads() throws Exception {
        EnvConfig.Result r = EnvConfig.read(GUIDE, dir.resolve("userlist.txt").toString(), true);
        PoolerConfig config = load(r);
        DatabaseConfig db = config.databases().get("hospitality_platform");
        assertEquals(List.of("postgres"), db.hosts());
        assertEquals(5432, db.port());
        assertEquals("user", db.authUser(), "the image makes the URL's user auth_user");
        GeneralSettings g = config.general();
        assertEquals(PoolMode.TRANSACTION, g.poolMode());
        assertEquals(10000, g.intValue(Setting.MAX_CLIENT_CONN));
        assertEquals(100, g.intValue(Setting.DEFAULT_POOL_SIZE));
        assertEquals(10, g.intValue(Setting.MIN_POOL_SIZE));
        assertEquals(10, g.intValue(Setting.RESERVE_POOL_SIZE));
        assertEquals(5, g.durationValue(Setting.RESERVE_POOL_TIMEOUT).toSeconds());
        assertEquals(100, g.intValue(Setting.MAX_DB_CONNECTIONS));
        assertEquals(10000, g.intValue(Setting.MAX_USER_CONNECTIONS));
        // The image's defaults, except the port (README: PgBouncer's 6432, as the guide maps it).
        assertEquals(List.of("0.0.0.0"), g.listenAddr());
        assertEquals(6432, g.listenPort());
        assertEquals("", g.unixSocketDir());
        assertEquals(AuthType.MD5, g.authType());
        assertEquals(List.of("extra_float_digits"), g.listValue(Setting.IGNORE_STARTUP_PARAMETERS));
        assertEquals(List.of("postgres"), g.listValue(Setting.ADMIN_USERS));
        assertEquals(dir.resolve("userlist.txt").toString(), g.authFile());
        assertEquals(Map.of("user", "password"), r.users());
    }

    @Test
    void theDbVariablesWithoutAUrlAndAnyKeyInUpperCase() throws Exception {
        Map<String, String> env = Map.of("DB_HOST", "db.internal", "DB_PORT", "6543", "DB_USER", "app",
                "DB_PASSWORD", "s3cret", "SERVER_LIFETIME", "600", "LOG_CONNECTIONS", "0", "POOL_SIZE", "7",
                "CLIENT_ENCODING", "UTF8", "STATS_USERS", "stats,monitor");
        PoolerConfig config = load(EnvConfig.read(env, "userlist.txt", true));
        DatabaseConfig db = config.databases().get("*");
        assertEquals(List.of("db.internal"), db.hosts(), "no DB_NAME: every database goes to this server");
        assertEquals(6543, db.port());
        assertEquals(7, db.poolSize());
        assertEquals("UTF8", db.clientEncoding());
        assertEquals(600, config.general().durationValue(Setting.SERVER_LIFETIME).toSeconds());
        assertFalse(config.general().boolValue(Setting.LOG_CONNECTIONS));
        assertEquals(List.of("stats", "monitor"), config.general().listValue(Setting.STATS_USERS));
    }

    @Test
    void severalUrlsAndTheDbVariablesCompleteAUrl() throws Exception {
        Map<String, String> env = Map.of("DATABASE_URLS",
                "postgres://foo:123@pg1/foo, postgresql://bar:p%40ss%2Fw@[::1]/bar", "DB_PORT", "5999");
        EnvConfig.Result r = EnvConfig.read(env, "userlist.txt", true);
        PoolerConfig config = load(r);
        assertEquals(5999, config.databases().get("foo").port(), "DB_PORT fills in where the URL has no port");
        assertEquals(List.of("::1"), config.databases().get("bar").hosts());
        assertEquals(5999, config.databases().get("bar").port());
        assertEquals(Map.of("foo", "123", "bar", "p@ss/w"), r.users(), "percent escapes decoded, as libpq does");
    }

    @Test
    void anLdapBindPasswordIsMaskedUnlessAskedFor() throws Exception {
        Map<String, String> env = new HashMap<>(GUIDE);
        env.put("AUTH_LDAP_OPTIONS", "ldapurl=\"ldap://h/dc=x?uid?sub\" ldapbinddn=cn=a ldapbindpasswd=topsecret");
        EnvConfig.Result r = EnvConfig.read(env, "userlist.txt", true);
        assertFalse(r.ini(false).contains("topsecret"), r.ini(false));
        assertTrue(r.ini(true).contains("ldapbindpasswd=topsecret"));
    }

    @Test
    void shellVariablesThatShareAKeysNameAreNotKeys() throws Exception {
        Map<String, String> env = new HashMap<>(GUIDE);
        env.put("USER", "root");
        env.put("JOB_NAME", "nightly-build");
        PoolerConfig config = load(EnvConfig.read(env, "userlist.txt", true));
        assertEquals("", config.general().raw(Setting.USER));
        assertEquals("pgbouncer", config.general().raw(Setting.JOB_NAME));
    }

    @Test
    void withAFileOfOnesOwnOnlyTheUsersAreTaken() throws Exception {
        EnvConfig.Result r = EnvConfig.read(Map.of("DB_USER", "app", "DB_PASSWORD", "pw"), "u.txt", false);
        assertEquals(Map.of("app", "pw"), r.users());
        assertEquals("u.txt", r.authFile());
        assertTrue(EnvConfig.read(Map.of(), "u.txt", false).users().isEmpty());
    }

    @Test
    void badOrContradictoryVariablesAreRefusedByName() {
        assertRefused("MAX_CLIENT_CONN:", "MAX_CLIENT_CONN", "lots");
        assertRefused("POOL_MODE:", "POOL_MODE", "sometimes");
        assertRefused("AUTH_TYPE:", "AUTH_TYPE", "magic");
        assertRefused("POOL_MODE: a value cannot span lines", "POOL_MODE", "session\n[databases]\nx = host=evil");
        assertRefused("DATABASE_URL and DATABASE_URLS are both set", "DATABASE_URLS", "postgres://a@b/c");
        assertRefused("DB_HOST contradicts the host of DATABASE_URL", "DB_HOST", "elsewhere");
        assertRefused("DB_PORT contradicts the port of DATABASE_URL", "DB_PORT", "6000");
        assertRefused("DB_PASSWORD contradicts the password of DATABASE_URL: give one of them", "DB_PASSWORD",
                "other");
        assertRefused("DATABASE_URL: query parameters", "DATABASE_URL", "postgresql://u:p@h/db?sslmode=require");
        assertRefused("DATABASE_URL: the scheme must be", "DATABASE_URL", "mysql://u:p@h/db");
        assertRefused("DATABASE_URL: expected postgresql://", "DATABASE_URL", "just-a-host");
        assertRefused("DATABASE_URL (port): 70000 is not a number", "DATABASE_URL", "postgresql://u:p@h:70000/db");
        assertRefused("DATABASE_URL: a % must be followed", "DATABASE_URL", "postgresql://u:p%zz@h/db");
        assertRefused("DATABASE_URL: one host only", "DATABASE_URL", "postgresql://u:p@h1,h2/db");
        assertRefused("DB_NAME: ' ' cannot be part of a name", "DATABASE_URL", "postgresql://u:p@h/my%20db");
        assertRefused("POOL_SIZE: many is not a number", "POOL_SIZE", "many");
        ConfigException noDb = assertThrows(ConfigException.class,
                () -> EnvConfig.read(Map.of("POOL_MODE", "session"), "u.txt", true));
        assertTrue(noDb.getMessage().startsWith("no database: set DATABASE_URL"), noDb.getMessage());
        ConfigException noUser = assertThrows(ConfigException.class,
                () -> EnvConfig.read(Map.of("DB_HOST", "h", "DB_PASSWORD", "pw"), "u.txt", true));
        assertTrue(noUser.getMessage().startsWith("DB_PASSWORD is set, but no user"), noUser.getMessage());
        ConfigException twice = assertThrows(ConfigException.class, () -> EnvConfig.read(
                Map.of("DATABASE_URLS", "postgres://a:1@h/db,postgres://b:2@h/db"), "u.txt", true));
        assertTrue(twice.getMessage().contains("database db is given twice"), twice.getMessage());
    }

    @Test
    void aPasswordIsNeverPartOfAMessage() {
        ConfigException e = assertThrows(ConfigException.class, () -> EnvConfig.read(
                Map.of("DATABASE_URL", "postgresql://u:hunter2@h/db", "DB_PASSWORD", "hunter3"), "u.txt", true));
        assertFalse(e.getMessage().contains("hunter"), e.getMessage());
    }

    @Test
    void emptyVariablesAreUnset() throws Exception {
        Map<String, String> env = new HashMap<>(GUIDE);
        env.put("POOL_MODE", "");
        env.put("DB_HOST", "");
        PoolerConfig config = load(EnvConfig.read(env, "u.txt", true));
        assertEquals(PoolMode.SESSION, config.general().poolMode(), "empty = unset, as the image's ${VAR:+...}");
        assertNull(config.general().raw(Setting.AUTH_USER).isEmpty() ? null : "set");
    }

    /**
     * Kubernetes sets {@code <SERVICE>_PORT=tcp://ip:port} for every Service of the namespace: a Service named db (or
     * listen) must not become the database's (or the pooler's) port, nor stop the start.
     */
    @Test
    void kubernetesServiceLinksInPortVariablesAreIgnoredAndSaidSo() throws Exception {
        Map<String, String> env = new HashMap<>(GUIDE);
        env.put("DB_PORT", "tcp://10.96.0.12:5432");
        env.put("LISTEN_PORT", "tcp://10.96.0.13:6432");
        env.put("DB_PORT_5432_TCP", "tcp://10.96.0.12:5432");
        EnvConfig.Result r = EnvConfig.read(env, "u.txt", true);
        PoolerConfig config = load(r);
        assertEquals(5432, config.databases().get("hospitality_platform").port(), "the URL's");
        assertEquals(6432, config.general().listenPort(), "poolctl's default, not the link's");
        assertEquals(List.of("DB_PORT=tcp://10.96.0.12:5432 ignored: a Kubernetes service link (of a Service named db),"
                        + " not a port", "LISTEN_PORT=tcp://10.96.0.13:6432 ignored: a Kubernetes service link (of a"
                        + " Service named listen), not a port"), r.ignored());

        Map<String, String> hostOnly = Map.of("DB_HOST", "db", "DB_PORT", "tcp://10.96.0.12:5433");
        assertEquals(5432, EnvConfig.read(hostOnly, "u.txt", true).databases().get(0).port(), "the default port");
        assertRefused("DB_PORT", "DB_PORT", "tcp://db"); // not a link's form: still refused by name
        assertTrue(EnvConfig.read(GUIDE, "u.txt", true).ignored().isEmpty());
    }

    private void assertRefused(String expectedStart, String variable, String value) {
        Map<String, String> env = new HashMap<>(GUIDE);
        env.put(variable, value);
        ConfigException e = assertThrows(ConfigException.class, () -> EnvConfig.read(env, "u.txt", true),
                variable + "=" + value);
        assertTrue(e.getMessage().startsWith(expectedStart), e.getMessage());
    }

    private PoolerConfig load(EnvConfig.Result r) throws Exception {
        Path ini = dir.resolve("pgbouncer.ini");
        Files.writeString(ini, r.ini(true), StandardCharsets.UTF_8);
        IniLoader.LoadResult loaded = IniLoader.load(ini);
        assertEquals(List.of(), loaded.warnings(), r.ini(true));
        return loaded.config();
    }
}
