package dev.poolctl.pooler.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.pooler.config.PoolMode;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IniLoaderTest {
    /** The operator guide's example, which must load as it is. */
    private static final String SEED = """
            [databases]
            hospitality_platform = host=localhost port=5432 dbname=hospitality_platform
            [pgbouncer]
            listen_addr = 0.0.0.0
            listen_port = 6432
            auth_type = md5
            auth_file = /etc/pgbouncer/userlist.txt
            pool_mode = transaction
            max_client_conn = 10000
            default_pool_size = 100
            min_pool_size = 10
            reserve_pool_size = 10
            reserve_pool_timeout = 5
            max_db_connections = 100
            max_user_connections = 10000
            server_idle_timeout = 600
            server_lifetime = 3600
            server_connect_timeout = 15
            query_timeout = 0
            query_wait_timeout = 120
            client_idle_timeout = 0
            client_login_timeout = 60
            log_connections = 1
            log_disconnections = 1
            log_pooler_errors = 1
            stats_period = 60
            ignore_startup_parameters = extra_float_digits
            tcp_keepalive = 1
            tcp_keepcnt = 5
            tcp_keepidle = 30
            tcp_keepintvl = 10
            """;

    @TempDir
    Path dir;

    private Path write(String name, String content) throws IOException {
        Path file = dir.resolve(name);
        Files.writeString(file, content, StandardCharsets.UTF_8);
        return file;
    }

    private IniLoader.LoadResult load(String content) throws Exception {
        return IniLoader.load(write("pgbouncer.ini", content));
    }

    private ConfigException loadFails(String content) throws IOException {
        Path file = write("pgbouncer.ini", content);
        return assertThrows(ConfigException.class, () -> IniLoader.load(file));
    }

    @Test
    void seedConfigLoadsWithTypedValues() throws Exception {
        IniLoader.LoadResult result = load(SEED);
        assertEquals(List.of(), result.warnings());
        PoolerConfig config = result.config();
        GeneralSettings g = config.general();

        assertEquals(List.of("0.0.0.0"), g.listenAddr());
        assertEquals(6432, g.listenPort());
        assertEquals(AuthType.MD5, g.authType());
        assertEquals("/etc/pgbouncer/userlist.txt", g.authFile());
        assertEquals(PoolMode.TRANSACTION, g.poolMode());
        assertEquals(10000, g.maxClientConn());
        assertEquals(100, g.defaultPoolSize());
        assertEquals(10, g.minPoolSize());
        assertEquals(10, g.reservePoolSize());
        assertEquals(Duration.ofSeconds(5), g.reservePoolTimeout());
        assertEquals(100, g.maxDbConnections());
        assertEquals(10000, g.maxUserConnections());
        assertEquals(Duration.ofSeconds(600), g.serverIdleTimeout());
        assertEquals(Duration.ofSeconds(3600), g.serverLifetime());
        assertEquals(Duration.ofSeconds(15), g.serverConnectTimeout());
        assertEquals(Duration.ZERO, g.queryTimeout());
        assertEquals(Duration.ofSeconds(120), g.queryWaitTimeout());
        assertEquals(Duration.ZERO, g.clientIdleTimeout());
        assertEquals(Duration.ofSeconds(60), g.clientLoginTimeout());
        assertTrue(g.logConnections());
        assertTrue(g.logDisconnections());
        assertTrue(g.logPoolerErrors());
        assertEquals(Duration.ofSeconds(60), g.statsPeriod());
        assertEquals(Set.of("extra_float_digits"), g.ignoreStartupParameters());
        assertTrue(g.tcpKeepalive());
        assertEquals(5, g.intValue(Setting.TCP_KEEPCNT));
        assertEquals(30, g.intValue(Setting.TCP_KEEPIDLE));
        assertEquals(10, g.intValue(Setting.TCP_KEEPINTVL));

        DatabaseConfig db = config.databases().get("hospitality_platform");
        assertEquals(List.of("localhost"), db.hosts());
        assertEquals(5432, db.port());
        assertEquals("hospitality_platform", db.dbname());
        assertNull(db.user());
        assertEquals(100, config.poolSize(db));
        assertEquals(PoolMode.TRANSACTION, config.poolMode(db, "anyone"));
        assertEquals(dir.resolve("pgbouncer.ini"), config.file());
    }

    @Test
    void absentKeysGetPgBouncerDefaults() throws Exception {
        GeneralSettings g = load("[pgbouncer]\n").config().general();
        assertEquals(List.of(), g.listenAddr());
        assertEquals(6432, g.listenPort());
        assertEquals("/tmp", g.unixSocketDir());
        assertEquals(AuthType.MD5, g.authType());
        assertNull(g.authFile());
        assertEquals(PoolMode.SESSION, g.poolMode());
        assertEquals(100, g.maxClientConn());
        assertEquals(20, g.defaultPoolSize());
        assertEquals("DISCARD ALL", g.serverResetQuery());
        assertFalse(g.serverResetQueryAlways());
        assertEquals("<empty>", g.serverCheckQuery());
        assertTrue(g.serverCheckEnabled());
        assertEquals(Duration.ofSeconds(30), g.serverCheckDelay());
        assertEquals(Duration.ofSeconds(120), g.queryWaitTimeout());
        assertEquals(Duration.ofSeconds(15), g.serverLoginRetry());
        assertEquals(2147483647, g.maxPacketSize());
        assertEquals(4096, g.pktBuf());
        assertTrue(g.logStats());
        assertEquals(List.of("IntervalStyle"), g.trackExtraParameters());
        assertEquals(200, g.maxPreparedStatements());
        assertNull(g.logfile());
        assertNull(g.pidfile());
        assertEquals(List.of(), g.adminUsers());
        assertEquals(0, g.verbose());
        assertEquals("prefer", g.stringValue(Setting.SERVER_TLS_SSLMODE));
        assertEquals(GeneralSettings.defaults(), g);
    }

    @Test
    void missingMainSectionIsAnError() throws Exception {
        ConfigException e = loadFails("[databases]\nfoo = host=x\n");
        assertTrue(e.getMessage().contains("[pgbouncer] is missing"), e.getMessage());
    }

    @Test
    void includeIsReadInPlaceRelativeToTheIncludingFile() throws Exception {
        Files.createDirectories(dir.resolve("conf.d"));
        write("conf.d/databases.ini", "[databases]\nappdb = host=db1\n%include more.ini\n");
        write("conf.d/more.ini", "; keys without a header continue the current section\nother = host=db2\n");
        Path absolute = write("abs.ini", "[pgbouncer]\nmax_client_conn = 7\n");
        PoolerConfig config = load("[pgbouncer]\nlisten_port = 7000\n%include conf.d/databases.ini\n"
                + "%include " + absolute + "\ndefault_pool_size = 3\n").config();

        assertEquals(Set.of("appdb", "other"), config.databases().keySet());
        assertEquals(List.of("db2"), config.databases().get("other").hosts());
        assertEquals(7000, config.general().listenPort());
        assertEquals(7, config.general().maxClientConn());
        assertEquals(3, config.general().defaultPoolSize());
    }

    @Test
    void includeErrorsNameTheIncludedFile() throws Exception {
        write("bad.ini", "[pgbouncer]\nlisten_port = nope\n");
        ConfigException e = loadFails("[pgbouncer]\n%include bad.ini\n");
        assertTrue(e.getMessage().startsWith(dir.resolve("bad.ini") + ": [pgbouncer] listen_port:"), e.getMessage());

        e = loadFails("[pgbouncer]\n%include missing.ini\n");
        assertTrue(e.getMessage().contains("cannot find %include file 'missing.ini'"), e.getMessage());
    }

    @Test
    void includeCycleHitsTheDepthLimit() throws Exception {
        write("loop.ini", "%include loop.ini\n");
        ConfigException e = loadFails("[pgbouncer]\n%include loop.ini\n");
        assertTrue(e.getMessage().contains("nested more than 10 levels"), e.getMessage());
    }

    @Test
    void quotedDatabaseAndUserNames() throws Exception {
        PoolerConfig config = load("[pgbouncer]\n[databases]\n"
                + "\"my db=x:y\" = host=h1\n"
                + "\"say \"\"hi\"\"\" = host=h2\n"
                + "MixedCase = host=h3\n"
                + "[users]\n\"user@example.com\" = pool_mode=statement\n").config();
        assertEquals(List.of("my db=x:y", "say \"hi\"", "MixedCase"), List.copyOf(config.databases().keySet()));
        assertEquals(List.of("h1"), config.database("my db=x:y").orElseThrow().hosts());
        assertTrue(config.database("mixedcase").isEmpty(), "database names are case-sensitive");
        assertEquals(PoolMode.STATEMENT, config.user("user@example.com").orElseThrow().poolMode());
    }

    @Test
    void unquotedNameWithOddCharactersIsASyntaxError() throws Exception {
        ConfigException e = loadFails("[pgbouncer]\n[databases]\nmy db = host=x\n");
        assertTrue(e.getMessage().startsWith(dir.resolve("pgbouncer.ini") + ":3: syntax error"), e.getMessage());
    }

    @Test
    void fallbackDatabaseServesUnknownNames() throws Exception {
        PoolerConfig config = load("[pgbouncer]\n[databases]\nfixed = host=a\n* = host=b port=5433\n").config();
        DatabaseConfig auto = config.database("analytics").orElseThrow();
        assertEquals("analytics", auto.name());
        assertEquals("analytics", auto.dbname());
        assertEquals(List.of("b"), auto.hosts());
        assertEquals(5433, auto.port());
        assertEquals("fixed", config.database("fixed").orElseThrow().targetDbname());

        PoolerConfig noFallback = load("[pgbouncer]\n[databases]\nfixed = host=a\n").config();
        assertTrue(noFallback.database("analytics").isEmpty());
    }

    @Test
    void unixSocketHostAndDefaultHost() throws Exception {
        PoolerConfig config = load("[pgbouncer]\nunix_socket_dir = /run/pg\n[databases]\n"
                + "sock = host=/var/run/postgresql port=5434\nlocal =\n").config();
        DatabaseConfig sock = config.databases().get("sock");
        assertEquals(List.of("/var/run/postgresql"), sock.hosts());
        assertTrue(DatabaseConfig.isUnixSocketHost(sock.hosts().get(0)));
        assertEquals(List.of(), config.databases().get("local").hosts(), "no host = Unix socket in unix_socket_dir");
        assertEquals(5432, config.databases().get("local").port());
        assertEquals("/run/pg", config.general().unixSocketDir());
    }

    @Test
    void hostListsKeepTheirOrder() throws Exception {
        DatabaseConfig db = load("[pgbouncer]\n[databases]\nha = host=10.0.0.1,10.0.0.2,db3.example.com\n")
                .config().databases().get("ha");
        assertEquals(List.of("10.0.0.1", "10.0.0.2", "db3.example.com"), db.hosts());
    }

    @Test
    void badIntegerNamesFileSectionAndKey() throws Exception {
        ConfigException e = loadFails("[pgbouncer]\nmax_client_conn = abc\n");
        assertEquals(dir.resolve("pgbouncer.ini") + ": [pgbouncer] max_client_conn: invalid integer 'abc'",
                e.getMessage());
    }

    @Test
    void badBooleanNamesSectionAndKey() throws Exception {
        ConfigException e = loadFails("[pgbouncer]\nlog_connections = maybe\n");
        assertTrue(e.getMessage().endsWith(": [pgbouncer] log_connections: invalid boolean 'maybe'"), e.getMessage());
    }

    @Test
    void badPoolModeNamesSectionAndKey() throws Exception {
        ConfigException e = loadFails("[pgbouncer]\npool_mode = transactional\n");
        assertTrue(e.getMessage().contains("[pgbouncer] pool_mode: invalid value 'transactional'"), e.getMessage());

        e = loadFails("[pgbouncer]\n[databases]\nappdb = host=x pool_mode=sometimes\n");
        assertTrue(e.getMessage().contains("[databases] appdb: pool_mode: invalid value 'sometimes'"),
                e.getMessage());
    }

    @Test
    void badDurationIsAnError() throws Exception {
        ConfigException e = loadFails("[pgbouncer]\nserver_lifetime = 1h\n");
        assertTrue(e.getMessage().contains("[pgbouncer] server_lifetime: invalid duration '1h'"), e.getMessage());
    }

    @Test
    void unknownConnectStringKeyNamesFileSectionAndDatabase() throws Exception {
        ConfigException e = loadFails("[pgbouncer]\n[databases]\nappdb = host=x sslmode=require\n");
        assertEquals(dir.resolve("pgbouncer.ini")
                + ": [databases] appdb: unrecognized connection parameter 'sslmode'", e.getMessage());
    }

    @Test
    void badUserEntryNamesTheUser() throws Exception {
        ConfigException e = loadFails("[pgbouncer]\n[users]\nbob = max_user_connections=lots\n");
        assertTrue(e.getMessage().endsWith(": [users] bob: max_user_connections: invalid integer 'lots'"),
                e.getMessage());
    }

    @Test
    void reservedDatabaseNameIsAnError() throws Exception {
        ConfigException e = loadFails("[pgbouncer]\n[databases]\npgbouncer = host=x\n");
        assertTrue(e.getMessage().contains("[databases] pgbouncer: the database name \"pgbouncer\" is reserved"),
                e.getMessage());
    }

    @Test
    void badPeerEntriesRefuseToLoadWithPgBouncersWords() {
        for (String[] bad : new String[][] {
                {"0 = host=/tmp", "ids of peers must be a number larger than 0 and at most 65535"},
                {"x = host=/tmp", "ids of peers must be a number larger than 0 and at most 65535"},
                {"1 = port=6432", "host was not provided for peer 1"},
                {"1 = host=a port=0", "invalid port: 0"},
                {"1 = host=a dbname=x", "unrecognized connection parameter: dbname"}}) {
            ConfigException e = assertThrows(ConfigException.class, () -> load("[pgbouncer]\n[peers]\n" + bad[0] + "\n"));
            assertTrue(e.getMessage().contains("[peers] ") && e.getMessage().contains(bad[1]), e.getMessage());
        }
    }

    @Test
    void unknownKeyIsAWarningNotAnError() throws Exception {
        IniLoader.LoadResult result = load("[pgbouncer]\nlisten_port = 6000\nshiny_new_option = 1\n");
        assertEquals(List.of("unknown parameter: pgbouncer/shiny_new_option in " + dir.resolve("pgbouncer.ini")),
                result.warnings());
        assertEquals(6000, result.config().general().listenPort());
    }

    @Test
    void unknownSectionsAreWarningsAndPeersAreRead() throws Exception {
        IniLoader.LoadResult result = load("[pgbouncer]\n[peers]\n1 = host=/tmp/a\n2 = host=10.0.0.2 port=7432 pool_size=3\n"
                + "[extras]\nfoo = bar\n[databases]\nd = host=x auth_query='SELECT 1' max_db_client_connections=5\n");
        List<String> warnings = result.warnings();
        assertEquals(1, warnings.size(), warnings.toString());
        assertTrue(warnings.stream().anyMatch(w -> w.startsWith("unknown section [extras]")), warnings.toString());
        assertEquals(new PeerConfig(1, "/tmp/a", 6432, -1), result.config().peers().get(1));
        assertEquals("unix:/tmp/a/.s.PGSQL.6432", result.config().peers().get(1).address());
        assertEquals("10.0.0.2:7432", result.config().peers().get(2).address());
        assertEquals(3, result.config().peers().get(2).poolSize());
        assertEquals(5, result.config().databases().get("d").maxDbClientConnections(), "applied now (1.24): not warned");
        assertEquals("SELECT 1", result.config().databases().get("d").authQuery(), "applied now: read, not warned");
        assertEquals(List.of("x"), result.config().databases().get("d").hosts());
    }

    @Test
    void valuesWithEqualsQuotesAndBackslashesSurvive() throws Exception {
        PoolerConfig config = load("""
                [pgbouncer]
                auth_query = SELECT usename, passwd FROM pg_shadow WHERE usename=$1
                server_reset_query = DISCARD ALL; SELECT 'x=1' ; -- not a comment
                server_check_query = select 1 # not a comment either
                admin_users = admin, "quoted"
                logfile = C:\\logs\\new\\pgbouncer.log
                unix_socket_group = ends-with-backslash\\
                listen_port = 7432
                [databases]
                q = host=h password='p@ss w=rd''s\\n' connect_query='SELECT ''a=b'', 1' application_name=x\\y
                """).config();
        GeneralSettings g = config.general();
        assertEquals("SELECT usename, passwd FROM pg_shadow WHERE usename=$1", g.authQuery());
        assertEquals("DISCARD ALL; SELECT 'x=1' ; -- not a comment", g.serverResetQuery());
        assertEquals("select 1 # not a comment either", g.serverCheckQuery());
        assertEquals(List.of("admin", "\"quoted\""), g.adminUsers());
        assertEquals("C:\\logs\\new\\pgbouncer.log", g.logfile());
        assertEquals("ends-with-backslash\\", g.stringValue(Setting.UNIX_SOCKET_GROUP), "no line continuation");
        assertEquals(7432, g.listenPort());
        DatabaseConfig q = config.databases().get("q");
        assertEquals("p@ss w=rd's\\n", q.password());
        assertEquals("SELECT 'a=b', 1", q.connectQuery());
        assertEquals("x\\y", q.applicationName());
    }

    @Test
    void commentsEmptyValuesAndCaseInsensitiveKeys() throws Exception {
        PoolerConfig config = load("""
                ; leading comment
                # another
                [pgbouncer]   ; comment after the header
                  LISTEN_PORT   =   6543
                Pool_Mode = Statement
                unix_socket_dir =
                logfile =
                server_check_query =

                [databases]
                ; foodb over the Unix socket
                foodb =
                """).config();
        GeneralSettings g = config.general();
        assertEquals(6543, g.listenPort());
        assertEquals(PoolMode.STATEMENT, g.poolMode());
        assertEquals("", g.unixSocketDir());
        assertNull(g.logfile());
        assertFalse(g.serverCheckEnabled());
        assertEquals(List.of("foodb"), List.copyOf(config.databases().keySet()));
    }

    @Test
    void lastValueWinsAndSectionsMayRepeat() throws Exception {
        PoolerConfig config = load("[pgbouncer]\nlisten_port = 1\n[databases]\na = host=x\n"
                + "[pgbouncer]\nlisten_port = 2\n[databases]\nb = host=y\na = host=z\n").config();
        assertEquals(2, config.general().listenPort());
        assertEquals(List.of("a", "b"), List.copyOf(config.databases().keySet()));
        assertEquals(List.of("z"), config.databases().get("a").hosts());
    }

    @Test
    void windowsLineEndingsAndByteOrderMark() throws Exception {
        PoolerConfig config = load("\uFEFF[pgbouncer]\r\nlisten_port = 6111\r\n[databases]\r\nd = host=x\r\n")
                .config();
        assertEquals(6111, config.general().listenPort());
        assertEquals(List.of("x"), config.databases().get("d").hosts());
    }

    @Test
    void syntaxErrorsCarryFileAndLine() throws Exception {
        ConfigException e = loadFails("[pgbouncer]\nlisten_port 6432\n");
        assertTrue(e.getMessage().startsWith(dir.resolve("pgbouncer.ini") + ":2: syntax error"), e.getMessage());

        e = loadFails("[pgbouncer\n");
        assertTrue(e.getMessage().contains(":1: syntax error"), e.getMessage());

        e = loadFails("listen_port = 1\n[pgbouncer]\n");
        assertTrue(e.getMessage().endsWith(":1: syntax error: key = value before the first [section]"),
                e.getMessage());

        e = loadFails("[pgbouncer]\n[ ]\n");
        assertTrue(e.getMessage().endsWith(":2: syntax error: empty section name"), e.getMessage());

        e = loadFails("[pgbouncer]\n[databases]\nd = host='unterminated\n");
        assertTrue(e.getMessage().contains("[databases] d: syntax error in connection string"), e.getMessage());
    }

    @Test
    void unreadableFileIsAConfigException() {
        Path missing = dir.resolve("nope.ini");
        ConfigException e = assertThrows(ConfigException.class, () -> IniLoader.load(missing));
        assertTrue(e.getMessage().startsWith(missing + ": cannot read config file"), e.getMessage());
    }
}
