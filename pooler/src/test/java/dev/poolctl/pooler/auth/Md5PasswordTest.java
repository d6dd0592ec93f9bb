package dev.poolctl.pooler.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.postgresql.util.MD5Digest;

class Md5PasswordTest {

    @Test
    void encryptIsMd5OfPasswordThenUser() throws Exception {
        byte[] digest = MessageDigest.getInstance("MD5")
                .digest("passwordhospitality_user".getBytes(StandardCharsets.UTF_8));
        String expected = "md5" + HexFormat.of().formatHex(digest);

        assertEquals(expected, Md5Password.encrypt("password", "hospitality_user"));
    }

    @Test
    void encryptMatchesWhatPostgresStored() {
        // rolpassword of CREATE ROLE ... PASSWORD 'password' under password_encryption=md5, PostgreSQL 15.
        assertEquals("md5c12a0a8856d2d03129e69fd816b3a6d8", Md5Password.encrypt("password", "hospitality_user"));
        assertEquals("md57cd2b9a92689eab2e58caf2da80afa15", Md5Password.encrypt("password", "md5_user"));
    }

    @Test
    void challengeResponseHashesHexPartWithSalt() throws Exception {
        String secret = Md5Password.encrypt("s3cret", "alice");
        byte[] salt = {0x01, (byte) 0xff, 0x7f, 0x00};

        MessageDigest md = MessageDigest.getInstance("MD5");
        md.update(secret.substring(3).getBytes(StandardCharsets.US_ASCII));
        md.update(salt);
        String expected = "md5" + HexFormat.of().formatHex(md.digest());

        assertEquals(expected, Md5Password.challengeResponse(secret, salt));
    }

    @Test
    void challengeResponseAgreesWithPgjdbcClient() {
        // pgjdbc computes the same answer from the clear password; we only ever need the stored hash.
        byte[] salt = {(byte) 0x9a, 0x12, 0x00, (byte) 0xc3};
        String fromPgjdbc = new String(MD5Digest.encode("bob".getBytes(StandardCharsets.UTF_8),
                "p\u00e4ss".getBytes(StandardCharsets.UTF_8), salt), StandardCharsets.US_ASCII);

        assertEquals(fromPgjdbc, Md5Password.challengeResponse(Md5Password.encrypt("p\u00e4ss", "bob"), salt));
    }

    @Test
    void challengeResponseRejectsBadInput() {
        String secret = Md5Password.encrypt("x", "y");
        assertThrows(IllegalArgumentException.class, () -> Md5Password.challengeResponse(secret, new byte[3]));
        assertThrows(IllegalArgumentException.class, () -> Md5Password.challengeResponse("plain", new byte[4]));
    }

    @Test
    void recognisesOnlyLowercaseMd5Form() {
        assertTrue(Md5Password.isMd5Secret("md5c12a0a8856d2d03129e69fd816b3a6d8"));
        assertFalse(Md5Password.isMd5Secret("md5C12A0A8856D2D03129E69FD816B3A6D8"));
        assertFalse(Md5Password.isMd5Secret("md5c12a0a8856d2d03129e69fd816b3a6d"));
        assertFalse(Md5Password.isMd5Secret("md5c12a0a8856d2d03129e69fd816b3a6d8a"));
        assertFalse(Md5Password.isMd5Secret("md5c12a0a8856d2d03129e69fd816b3a6dg"));
        assertFalse(Md5Password.isMd5Secret("xyzc12a0a8856d2d03129e69fd816b3a6d8"));
        assertFalse(Md5Password.isMd5Secret(""));
        assertFalse(Md5Password.isMd5Secret(null));
    }
}
