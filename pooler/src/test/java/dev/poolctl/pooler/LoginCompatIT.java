package dev.poolctl.pooler;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.poolctl.pooler.support.PoolerFixture;
import dev.poolctl.pooler.support.PostgresCluster;
import dev.poolctl.pooler.support.PostgresClusterExtension;
import dev.poolctl.pooler.support.RawClient;
import dev.poolctl.pooler.support.RealPgBouncer;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The login answers poolctl copies from PgBouncer, checked against the real one where it is installed (skipped
 * elsewhere): each scenario is played on both on the raw wire and the message types and error texts compared.
 */
@ExtendWith(PostgresClusterExtension.class)
@Timeout(value = 120, unit = SECONDS)
class LoginCompatIT {
    private static PostgresCluster pg;
    private static PoolerFixture poolctl;
    private static RealPgBouncer pgbouncer;

    @BeforeAll
    static void start() {
        if (RealPgBouncer.binary().isEmpty()) {
            return;
        }
        Path binary = RealPgBouncer.binary().orElseThrow();
        pgbouncer = RealPgBouncer.start(binary, pg, Map.of());
        poolctl = PoolerFixture.start(pg, PoolerFixture.settings());
    }

    @AfterAll
    static void stop() {
        if (poolctl != null) {
            poolctl.close();
        }
        if (pgbouncer != null) {
            pgbouncer.close();
        }
    }

    /** What one side answered: message types, with the error's message text. */
    private interface Scenario {
        void play(RawClient c, List<String> answers) throws IOException;
    }

    private static List<String> play(String host, int port, Scenario s) throws IOException {
        List<String> answers = new ArrayList<>();
        try (RawClient c = RawClient.connect(host, port, Duration.ofSeconds(5))) {
            s.play(c, answers);
        }
        return answers;
    }

    private static String describe(RawClient.Message m) {
        if (m == null) {
            return "closed";
        }
        return m.isError() ? "E " + m.fields().get('S') + " " + m.fields().get('M') : "" + m.type()
                + (m.type() == 'R' ? m.authCode() : "");
    }

    private static void assertSameOnBoth(Scenario s) throws IOException {
        Assumptions.assumeTrue(pgbouncer != null, "PgBouncer is not installed: skipped");
        List<String> theirs = play(pgbouncer.host(), pgbouncer.port(), s);
        List<String> ours = play(poolctl.host(), poolctl.port(), s);
        System.out.println("[LoginCompatIT] pgbouncer " + theirs + " poolctl " + ours);
        assertEquals(theirs, ours);
    }

    /** Startup, then the md5 answer for {@code password}; records the challenge and the answer to it. */
    private static Scenario md5Login(String user, String password) {
        return (c, answers) -> {
            c.send(RawClient.startupPacket(user, PostgresCluster.TEST_DB));
            RawClient.Message challenge = c.read();
            answers.add(describe(challenge));
            if (challenge != null && challenge.type() == 'R' && challenge.authCode() == 5) {
                byte[] salt = Arrays.copyOfRange(challenge.body(), 4, 8);
                c.send(LoginHardeningIT.passwordMessage(RawClient.md5Response(user, password, salt)));
                answers.add(describe(c.read()));
            }
        };
    }

    @Test
    void unknownUserGetsTheChallengeAndErrorOfAWrongPassword() throws IOException {
        assertSameOnBoth(md5Login("nobody_here", "x"));
        assertSameOnBoth(md5Login(PostgresCluster.MD5_USER, "wrong"));
    }

    @Test
    void emptyPasswordFromTheClient() throws IOException {
        assertSameOnBoth((c, answers) -> {
            c.send(RawClient.startupPacket(PostgresCluster.MD5_USER, PostgresCluster.TEST_DB));
            answers.add(describe(c.read()));
            c.send(LoginHardeningIT.passwordMessage(""));
            answers.add(describe(c.read()));
        });
    }

    @Test
    void startupMessageDuringAuthentication() throws IOException {
        assertSameOnBoth((c, answers) -> {
            c.send(RawClient.startupPacket(PostgresCluster.MD5_USER, PostgresCluster.TEST_DB));
            answers.add(describe(c.read()));
            c.send(RawClient.startupPacket(PostgresCluster.MD5_USER, PostgresCluster.TEST_DB));
            answers.add(describe(c.read()));
        });
    }
}
