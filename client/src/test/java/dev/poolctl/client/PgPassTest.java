package dev.poolctl.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PgPassTest {
    @TempDir
    Path dir;

    @Test
    void firstMatchingLineWins() {
        PgPass p = PgPass.parse("127.0.0.1:6432:pgbouncer:admin:first\n*:*:*:admin:second\n");
        assertEquals(Optional.of("first"), p.lookup("127.0.0.1", 6432, "pgbouncer", "admin"));
        assertEquals(Optional.of("second"), p.lookup("db.example", 6432, "pgbouncer", "admin"));
        assertEquals(Optional.empty(), p.lookup("127.0.0.1", 6432, "pgbouncer", "other"));
    }

    @Test
    void wildcardsMatchAnyHostPortDatabaseOrUser() {
        PgPass p = PgPass.parse("*:6432:*:*:pw\n");
        assertEquals(Optional.of("pw"), p.lookup("h", 6432, "pgbouncer", "anyone"));
        assertEquals(Optional.empty(), p.lookup("h", 5432, "pgbouncer", "anyone"));
    }

    @Test
    void commentsBlankAndShortLinesAreSkipped() {
        PgPass p = PgPass.parse("# comment\n\nh:1:db\nh:1:pgbouncer:u:ok\n");
        assertEquals(Optional.of("ok"), p.lookup("h", 1, "pgbouncer", "u"));
    }

    @Test
    void backslashEscapesColonAndBackslash() {
        PgPass p = PgPass.parse("h:1:pgbouncer:us\\:er:pa\\:ss\\\\word\n");
        assertEquals(Optional.of("pa:ss\\word"), p.lookup("h", 1, "pgbouncer", "us:er"));
    }

    @Test
    void passwordMayContainColonsUnescaped() {
        PgPass p = PgPass.parse("h:1:pgbouncer:u:a:b:c\r\n");
        assertEquals(Optional.of("a:b:c"), p.lookup("h", 1, "pgbouncer", "u"));
    }

    @Test
    void unixSocketDirectoryMatchesLocalhost() {
        PgPass p = PgPass.parse("localhost:6432:pgbouncer:pgbouncer:sock\n");
        assertEquals(Optional.of("sock"), p.lookup("/var/run/postgresql", 6432, "pgbouncer", "pgbouncer"));
    }

    @Test
    void fileWithGroupOrWorldAccessIsIgnoredWithLibpqsWarning() throws IOException {
        Path f = dir.resolve("pgpass");
        Files.writeString(f, "*:*:*:*:pw\n");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
        List<String> warnings = new ArrayList<>();
        assertTrue(PgPass.read(f, warnings::add).isEmpty());
        assertEquals(1, warnings.size());
        assertTrue(warnings.get(0).contains("has group or world access"), warnings.get(0));

        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
        assertEquals(Optional.of("pw"), PgPass.read(f, warnings::add).flatMap(p -> p.lookup("h", 1, "d", "u")));
    }

    @Test
    void missingFileIsEmpty() {
        assertTrue(PgPass.read(dir.resolve("nope"), w -> { }).isEmpty());
    }
}
