package dev.poolctl.pooler.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** PgBouncer's precedence for auth_user, auth_query and auth_dbname, and its errors, without sockets. */
class AuthQuerySourceTest {
    private static PoolerConfig config(Map<Setting, String> general, String... entries) {
        Map<String, DatabaseConfig> databases = new LinkedHashMap<>();
        for (int i = 0; i < entries.length; i += 2) {
            databases.put(entries[i], DatabaseConfig.parse(entries[i], entries[i + 1], w -> { }));
        }
        return new PoolerConfig(Path.of("pgbouncer.ini"), GeneralSettings.of(general), databases, Map.of());
    }

    private static AuthQuerySource.Resolution resolve(PoolerConfig config, String db) {
        return AuthQuerySource.resolve(config, db,
                AuthQuerySource.ADMIN_DATABASE.equals(db) ? java.util.Optional.empty() : config.database(db));
    }

    @Test
    void withoutAnyAuthUserNothingRunsAndAnUnknownDatabaseNeverRunsAQuery() {
        PoolerConfig none = config(Map.of(), "app", "host=x");
        assertFalse(resolve(none, "app").applies());
        PoolerConfig global = config(Map.of(Setting.AUTH_USER, "checker"), "app", "host=x");
        assertFalse(resolve(global, "nosuchdb").applies(), "mock authentication, as PgBouncer's fake database");
    }

    @Test
    void theDatabaseEntryBeatsTheGlobalValuesAndTheQueryRunsInTheClientsDatabaseByDefault() {
        PoolerConfig c = config(Map.of(Setting.AUTH_USER, "global_user", Setting.AUTH_QUERY, "SELECT 1, 2"),
                "app", "host=x",
                "own", "host=y auth_user=own_user auth_query='SELECT u, p FROM t WHERE u = $1' auth_dbname=app");
        AuthQuerySource app = resolve(c, "app").source();
        assertEquals("app", app.database().name());
        assertEquals("global_user", app.user());
        assertEquals("SELECT 1, 2", app.query());
        AuthQuerySource own = resolve(c, "own").source();
        assertEquals("app", own.database().name());
        assertEquals("own_user", own.user());
        assertEquals("SELECT u, p FROM t WHERE u = $1", own.query());
        PoolerConfig defaults = config(Map.of(Setting.AUTH_USER, "u"), "app", "host=x");
        assertEquals(Setting.AUTH_QUERY.defaultValue(), resolve(defaults, "app").source().query());
    }

    @Test
    void anAuthDbnameMayComeFromTheAutoDatabase() {
        PoolerConfig c = config(Map.of(Setting.AUTH_USER, "u", Setting.AUTH_DBNAME, "authdb"),
                "*", "host=x auth_dbname=authdb", "app", "host=y");
        AuthQuerySource s = resolve(c, "made_by_star").source();
        assertEquals("authdb", s.database().name());
        assertEquals("x", s.database().hosts().get(0), "registered from '*' like a client database");
    }

    @Test
    void mistakesAreErrorsWithPgBouncersWords() {
        PoolerConfig c = config(Map.of(Setting.AUTH_USER, "u"),
                "app", "host=x auth_dbname=missing", "admin", "host=x auth_dbname=pgbouncer");
        assertEquals("authentication database \"missing\" is not configured", resolve(c, "app").error());
        assertEquals("cannot use the reserved \"pgbouncer\" database as an auth_dbname", resolve(c, "admin").error());
        assertEquals(AuthQuerySource.reservedDatabase(), resolve(c, "pgbouncer").error(),
                "the console's own database without an auth_dbname: PgBouncer's admin database is reserved too");
        assertNull(resolve(c, "pgbouncer").source());
        assertEquals(List.of("[databases] app: authentication database \"missing\" is not configured",
                "[databases] admin: auth_dbname names the console's database \"pgbouncer\", which has no server:"
                        + " its logins that need auth_query will fail"),
                AuthQuerySource.warnings(c).stream().map(AuthQuerySource.Warning::text).toList());
        PoolerConfig global = config(Map.of(Setting.AUTH_USER, "u", Setting.AUTH_DBNAME, "gone"), "app", "host=x");
        assertEquals(List.of("[pgbouncer] authentication database \"gone\" is not configured"),
                AuthQuerySource.warnings(global).stream().map(AuthQuerySource.Warning::text).toList());
    }

    @Test
    void aGlobalAuthDbnameNamingTheConsoleIsRefusedAtLoad() {
        GeneralSettings g = GeneralSettings.of(Map.of(Setting.AUTH_DBNAME, "pgbouncer"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SupportedSettings.check(g));
        assertEquals("auth_dbname: cannot use the reserved \"pgbouncer\" database as an auth_dbname", e.getMessage());
    }
}
