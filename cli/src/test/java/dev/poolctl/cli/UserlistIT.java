package dev.poolctl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.pooler.auth.Userlist;
import dev.poolctl.pooler.support.PoolerFixture;
import dev.poolctl.pooler.support.PostgresCluster;
import dev.poolctl.pooler.support.PostgresClusterExtension;
import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Entries written by {@code poolctl userlist set} log in for real: PostgreSQL accepts the SCRAM secret as a
 * verifier for the password, and the pooler checks clients against the file and logs in to PostgreSQL with it
 * (SCRAM pass-through for scram_user, the md5 hash for md5_user).
 */
@ExtendWith(PostgresClusterExtension.class)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class UserlistIT {
    @TempDir
    Path dir;

    private static int set(Path file, String method, String user, String password) {
        StringWriter err = new StringWriter();
        int code = Poolctl.run(new ByteArrayInputStream((password + "\n").getBytes(StandardCharsets.UTF_8)),
                new PrintWriter(new StringWriter()), new PrintWriter(err, true),
                "userlist", "set", method, "--password-stdin", "-f", file.toString(), user);
        assertEquals(ExitCodes.OK, code, err.toString());
        return code;
    }

    private static String currentUser(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT current_user")) {
            rs.next();
            return rs.getString(1);
        }
    }

    @Test
    void entriesWrittenByTheCliLogInThroughPostgresAndThePooler(PostgresCluster pg) throws Exception {
        Path file = dir.resolve("userlist.txt");
        Files.writeString(file, "; written by poolctl userlist\n");
        set(file, "--scram", PostgresCluster.SCRAM_USER, PostgresCluster.SCRAM_PASSWORD);
        set(file, "--md5", PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD);
        String scramSecret = secretOf(file, PostgresCluster.SCRAM_USER);

        // md5 is deterministic: the CLI's entry is exactly what PostgreSQL stores.
        assertEquals(pg.md5Secret(PostgresCluster.MD5_USER), secretOf(file, PostgresCluster.MD5_USER));

        // SCRAM pass-through needs the server to hold the same verifier (fresh salt here), as with PgBouncer:
        // hand PostgreSQL the CLI's secret, which it stores as given, then restore the original.
        String original = pg.scramSecret(PostgresCluster.SCRAM_USER);
        pg.psqlAsSuperuser("postgres", "ALTER ROLE " + PostgresCluster.SCRAM_USER + " PASSWORD '" + scramSecret + "';");
        try {
            assertEquals(scramSecret, pg.scramSecret(PostgresCluster.SCRAM_USER));
            // PostgreSQL itself accepts the password against the CLI's verifier.
            try (Connection c = pg.connect(PostgresCluster.TEST_DB, PostgresCluster.SCRAM_USER,
                    PostgresCluster.SCRAM_PASSWORD)) {
                assertEquals(PostgresCluster.SCRAM_USER, currentUser(c));
            }

            try (PoolerFixture pooler = PoolerFixture.start(pg,
                    PoolerFixture.settings().set("auth_file", file.toString()))) {
                try (Connection c = pooler.connect(PostgresCluster.TEST_DB, PostgresCluster.SCRAM_USER,
                        PostgresCluster.SCRAM_PASSWORD)) {
                    assertEquals(PostgresCluster.SCRAM_USER, currentUser(c));
                }
                try (Connection c = pooler.connect(PostgresCluster.TEST_DB, PostgresCluster.MD5_USER,
                        PostgresCluster.MD5_PASSWORD)) {
                    assertEquals(PostgresCluster.MD5_USER, currentUser(c));
                }
                SQLException wrong = assertThrows(SQLException.class, () -> pooler.connect(PostgresCluster.TEST_DB,
                        PostgresCluster.SCRAM_USER, "not-the-password").close());
                assertTrue(String.valueOf(wrong.getMessage()).contains("authentication failed"),
                        wrong.getMessage());
                // A user the CLI did not write is unknown to the pooler, whatever PostgreSQL knows.
                assertThrows(SQLException.class, () -> pooler.connect(PostgresCluster.TEST_DB,
                        PostgresCluster.CLEARTEXT_USER, PostgresCluster.CLEARTEXT_PASSWORD).close());
            }
        } finally {
            pg.psqlAsSuperuser("postgres", "ALTER ROLE " + PostgresCluster.SCRAM_USER + " PASSWORD '" + original + "';");
        }
        assertEquals(original, pg.scramSecret(PostgresCluster.SCRAM_USER));
    }

    private static String secretOf(Path file, String user) throws Exception {
        // The raw text of the entry, as PostgreSQL would store it: parse the line the CLI wrote.
        for (String line : Files.readAllLines(file)) {
            if (Userlist.parse(line).users().contains(user)) {
                String rest = line.substring(line.indexOf("\" \"") + 3);
                return rest.substring(0, rest.length() - 1);
            }
        }
        throw new AssertionError("no entry for " + user + " in " + Files.readString(file));
    }
}
