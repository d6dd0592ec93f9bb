package dev.poolctl.pooler.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.pooler.auth.ScramClientExchange;
import dev.poolctl.pooler.auth.ScramSecret;
import dev.poolctl.pooler.auth.Secret;
import dev.poolctl.pooler.config.AuthType;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Which login steps need a key derivation, to be run off the event loop, and that it is needed once. */
class ClientAuthenticatorTest {
    private static final ByteBufAllocator ALLOC = ByteBufAllocator.DEFAULT;

    private static ByteBuf passwordFrame(String text) {
        byte[] b = (text + "\0").getBytes(StandardCharsets.UTF_8);
        return Unpooled.buffer().writeByte('p').writeInt(4 + b.length).writeBytes(b);
    }

    private static ByteBuf saslInitial(String data) {
        byte[] m = "SCRAM-SHA-256\0".getBytes(StandardCharsets.UTF_8);
        byte[] d = data.getBytes(StandardCharsets.UTF_8);
        return Unpooled.buffer().writeByte('p').writeInt(4 + m.length + 4 + d.length).writeBytes(m)
                .writeInt(d.length).writeBytes(d);
    }

    private static ClientAuthenticator.Step step(ClientAuthenticator a, ByteBuf frame) throws Exception {
        ByteBuf[] reply = new ByteBuf[1];
        try {
            return a.step(frame, ALLOC, reply);
        } finally {
            frame.release();
            if (reply[0] != null) {
                reply[0].release();
            }
        }
    }

    @Test
    void aPlainPasswordUnderScramIsDerivedOffTheLoopOnce() throws Exception {
        String user = "derive_once_" + System.nanoTime();
        ClientAuthenticator first = new ClientAuthenticator(user, new Secret.Plain("pw"), true);
        first.start(AuthType.SCRAM_SHA_256, ALLOC).release();
        ByteBuf frame = saslInitial(ScramClientExchange.forPassword("pw").clientFirst());
        Runnable slow = first.slowWork(frame);
        assertNotNull(slow, "the first login derives");
        slow.run();
        assertNull(first.slowWork(frame), "derived once");
        assertEquals(ClientAuthenticator.Step.CONTINUE, step(first, frame));

        ClientAuthenticator second = new ClientAuthenticator(user, new Secret.Plain("pw"), true);
        second.start(AuthType.SCRAM_SHA_256, ALLOC).release();
        ByteBuf again = saslInitial(ScramClientExchange.forPassword("pw").clientFirst());
        assertNull(second.slowWork(again), "the next login finds the keys cached");
        assertEquals(ClientAuthenticator.Step.CONTINUE, step(second, again));
    }

    @Test
    void anUnknownUserNeedsNoDerivation() throws Exception {
        ClientAuthenticator a = new ClientAuthenticator("nobody_" + System.nanoTime(), null, false);
        a.start(AuthType.SCRAM_SHA_256, ALLOC).release();
        ByteBuf frame = saslInitial(ScramClientExchange.forPassword("pw").clientFirst());
        assertNull(a.slowWork(frame));
        assertEquals(ClientAuthenticator.Step.CONTINUE, step(a, frame));
    }

    @Test
    void aCleartextPasswordAgainstAScramSecretIsCheckedOffTheLoop() throws Exception {
        String right = "right-" + System.nanoTime();
        ScramSecret secret = ScramSecret.fromPassword(right);
        for (String given : new String[] {"wrong", right, right}) {
            ClientAuthenticator a = new ClientAuthenticator("plain_scram", new Secret.Scram(secret), true);
            a.start(AuthType.PLAIN, ALLOC).release();
            ByteBuf frame = passwordFrame(given);
            Runnable slow = a.slowWork(frame);
            boolean cached = ScramKeyCacheView.verified(secret, given);
            assertEquals(cached, slow == null, "derived off the loop unless the same password succeeded before");
            if (slow != null) {
                slow.run();
                assertNull(a.slowWork(frame));
            }
            ClientAuthenticator.Step expected = given.equals(right) ? ClientAuthenticator.Step.OK : ClientAuthenticator.Step.FAILED;
            assertEquals(expected, step(a, frame));
        }
        assertTrue(ScramKeyCacheView.verified(secret, right));
    }

    /** The cache's answer without deriving. */
    private static final class ScramKeyCacheView {
        static boolean verified(ScramSecret secret, String password) {
            return dev.poolctl.pooler.auth.ScramKeyCache.isVerifiedPlain(secret, password);
        }
    }
}
