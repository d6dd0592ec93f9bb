package dev.poolctl.cli.mixin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.poolctl.client.AdminClient;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

class AdminConnectionOptionsTest {
    @TempDir
    Path dir;

    @Command(name = "t")
    static final class Holder {
        @Mixin
        AdminConnectionOptions options;
    }

    private static AdminConnectionOptions parse(String... args) {
        Holder h = new Holder();
        new CommandLine(h).parseArgs(args);
        return h.options;
    }

    private static AdminConnectionOptions.Resolved resolve(AdminConnectionOptions o, Map<String, String> env)
            throws Exception {
        return o.resolve(env, new PrintWriter(new StringWriter()), null);
    }

    @Test
    void defaultsAreLocalhost6432AsPgbouncer() throws Exception {
        AdminClient.Target t = resolve(parse(), Map.of("PGPASSFILE", "/nonexistent")).target();
        assertEquals(new AdminClient.Target("127.0.0.1", 6432, "pgbouncer"), t);
    }

    @Test
    void environmentComesAfterOptions() throws Exception {
        Map<String, String> env = Map.of("PGHOST", "envhost", "PGPORT", "7000", "PGUSER", "envuser");
        assertEquals(new AdminClient.Target("envhost", 7000, "envuser"), resolve(parse(), env).target());
        assertEquals(new AdminClient.Target("h", 1, "u"), resolve(parse("-h", "h", "-p", "1", "-U", "u"), env).target());
    }

    @Test
    void configGivesAddressPortAndFirstAdminUser() throws Exception {
        Path ini = dir.resolve("pgbouncer.ini");
        Files.writeString(ini, "[databases]\n[pgbouncer]\nlisten_addr = 10.0.0.1\nlisten_port = 6543\n"
                + "admin_users = boss, other\n");
        Map<String, String> env = Map.of("PGHOST", "envhost", "PGUSER", "envuser");
        assertEquals(new AdminClient.Target("10.0.0.1", 6543, "boss"),
                resolve(parse("-c", ini.toString()), env).target());
        assertEquals(new AdminClient.Target("10.0.0.1", 6543, "me"),
                resolve(parse("-c", ini.toString(), "-U", "me"), env).target());
    }

    @Test
    void configWithoutTcpUsesTheUnixSocketDir() throws Exception {
        Path ini = dir.resolve("pgbouncer.ini");
        Files.writeString(ini, "[databases]\n[pgbouncer]\nlisten_addr =\nunix_socket_dir = " + dir + "\n");
        AdminClient.Target t = resolve(parse("-c", ini.toString()), Map.of()).target();
        assertEquals(dir.toString(), t.host());
        assertEquals(dir.resolve(".s.PGSQL.6432"), t.socketFile());
    }

    @Test
    void passwordFromPassfileThenPgpasswordThenPgpassfile() throws Exception {
        Path passfile = dir.resolve("pass");
        Files.writeString(passfile, "*:*:pgbouncer:admin:fromfile\n");
        Files.setPosixFilePermissions(passfile, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        Map<String, String> env = Map.of("PGPASSWORD", "fromenv", "PGPASSFILE", passfile.toString());
        assertEquals("fromfile", resolve(parse("--passfile", passfile.toString()), env).password().apply("admin"));
        assertEquals("fromenv", resolve(parse(), env).password().apply("admin"));
        assertEquals("fromfile", resolve(parse(), Map.of("PGPASSFILE", passfile.toString())).password()
                .apply("admin"));
        assertNull(resolve(parse(), Map.of("PGPASSFILE", passfile.toString())).password().apply("nobody"));
    }
}
