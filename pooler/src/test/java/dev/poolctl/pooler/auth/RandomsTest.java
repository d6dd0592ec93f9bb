package dev.poolctl.pooler.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RandomsTest {

    @Test
    void drawsAcrossManyBufferRefillsNeverRepeat() {
        // 10 000 longs use the 512-byte buffer about 160 times, with draws of 4 and 18 bytes in between so
        // that refills happen at every offset; a repeated or zero value would mean bytes handed out twice.
        Set<Long> longs = new HashSet<>();
        Set<String> nonces = new HashSet<>();
        for (int i = 0; i < 10_000; i++) {
            long value = Randoms.nextLong();
            assertTrue(longs.add(value), "a long came twice");
            byte[] salt = new byte[i % 2 == 0 ? 4 : 18];
            Randoms.nextBytes(salt);
            nonces.add(java.util.HexFormat.of().formatHex(salt));
        }
        assertEquals(10_000, nonces.size(), "a salt or nonce came twice");
    }

    @Test
    void bytesAreSpreadOverAllValues() {
        int[] counts = new int[256];
        byte[] chunk = new byte[100];
        for (int i = 0; i < 2_000; i++) {
            Randoms.nextBytes(chunk);
            for (byte b : chunk) {
                counts[b & 0xff]++;
            }
        }
        // 200 000 bytes: about 781 of each value; a stuck or wiped buffer (zeros handed out) would be far off.
        for (int v = 0; v < 256; v++) {
            assertTrue(counts[v] > 550 && counts[v] < 1050, "value " + v + " came " + counts[v] + " times");
        }
    }

    @Test
    void requestsLargerThanTheBufferAreFilled() {
        byte[] big = new byte[4096];
        Randoms.nextBytes(big);
        int zeros = 0;
        for (byte b : big) {
            zeros += b == 0 ? 1 : 0;
        }
        assertTrue(zeros < 64, zeros + " zero bytes of 4096"); // about 16 expected
    }
}
