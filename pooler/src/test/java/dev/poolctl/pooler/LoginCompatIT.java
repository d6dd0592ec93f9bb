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
    /** Both poolers per other auth_type, started by the test that needs them. */
    private static final Map<String, PoolerFixture> POOLCTL_BY_AUTH = new java.util.HashMap<>();
    private static final Map<String, RealPgBouncer> PGBOUNCER_BY_AUTH = new java.util.HashMap<>();

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
        POOLCTL_BY_AUTH.values().forEach(PoolerFixture::close);
        PGBOUNCER_BY_AUTH.values().forEach(RealPgBouncer::close);
    }

    /** Plays {@code s} on a PgBouncer and a poolctl with {@code auth_type = authType}. */
    private static void assertSameOnBoth(String authType, Scenario s) throws IOException {
        Assumptions.assumeTrue(pgbouncer != null, "PgBouncer is not installed: skipped");
        RealPgBouncer theirs = PGBOUNCER_BY_AUTH.computeIfAbsent(authType, a ->
                RealPgBouncer.start(RealPgBouncer.binary().orElseThrow(), pg, Map.of("auth_type", a)));
        PoolerFixture ours = POOLCTL_BY_AUTH.computeIfAbsent(authType, a ->
                PoolerFixture.start(pg, PoolerFixture.settings().set("auth_type", a)));
        List<String> theirAnswers = play(theirs.host(), theirs.port(), s);
        List<String> ourAnswers = play(ours.host(), ours.port(), s);
        System.out.println("[LoginCompatIT] auth_type=" + authType + " pgbouncer " + theirAnswers + " poolctl " + ourAnswers);
        assertEquals(theirAnswers, ourAnswers);
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

    /** SCRAM for a user PgBouncer's auth_file lacks: the whole mock exchange, then PgBouncer's error. */
    @Test
    void unknownUserGetsAScramExchange() throws IOException {
        assertSameOnBoth("scram-sha-256", (c, answers) -> {
            c.send(RawClient.startupPacket("nobody_here", PostgresCluster.TEST_DB));
            answers.add(describe(c.read()));
            dev.poolctl.pooler.auth.ScramClientExchange x = dev.poolctl.pooler.auth.ScramClientExchange.forPassword("x");
            c.send(LoginHardeningIT.saslInitialResponse("SCRAM-SHA-256", x.clientFirst()));
            RawClient.Message serverFirst = c.read();
            answers.add(describe(serverFirst));
            if (serverFirst != null && serverFirst.type() == 'R') {
                try {
                    c.send(RawClient.message('p', x.clientFinal(LoginHardeningIT.saslData(serverFirst))
                            .getBytes(java.nio.charset.StandardCharsets.UTF_8)));
                } catch (dev.poolctl.pooler.auth.ScramException e) {
                    throw new IOException(e);
                }
                answers.add(describe(c.read()));
            }
        });
    }

    @Test
    void trustNeedsTheUserInAuthFile() throws IOException {
        assertSameOnBoth("trust", (c, answers) -> {
            c.send(RawClient.startupPacket("nobody_here", PostgresCluster.TEST_DB));
            answers.add(describe(c.read()));
        });
    }
}
