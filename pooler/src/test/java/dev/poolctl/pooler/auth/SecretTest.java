package dev.poolctl.pooler.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SecretTest {

    @Test
    void classifiesMd5() {
        Secret secret = Secret.of("md5c12a0a8856d2d03129e69fd816b3a6d8");
        assertEquals(new Secret.Md5("md5c12a0a8856d2d03129e69fd816b3a6d8"), secret);
    }

    @Test
    void classifiesScram() {
        Secret secret = Secret.of(ScramSecretTest.PG_PENCIL);
        Secret.Scram scram = assertInstanceOf(Secret.Scram.class, secret);
        assertEquals(ScramSecretTest.PG_PENCIL, scram.secret().encode());
    }

    @Test
    void anythingElseIsPlain() {
        assertEquals(new Secret.Plain("pencil"), Secret.of("pencil"));
        assertEquals(new Secret.Plain(""), Secret.of(""));
        // PostgreSQL treats an upper-case digest or a broken verifier as a clear-text password; so do we.
        assertInstanceOf(Secret.Plain.class, Secret.of("md5C12A0A8856D2D03129E69FD816B3A6D8"));
        assertInstanceOf(Secret.Plain.class, Secret.of("SCRAM-SHA-256$4096:abc"));
    }

    @Test
    void emptyPasswordIsAnEmptyPlainOrTheMd5OfOneForThatUser() {
        assertTrue(Secret.of("").isEmptyPassword("alice"));
        assertFalse(Secret.of("pw").isEmptyPassword("alice"));
        Secret emptyMd5 = Secret.of(Md5Password.encrypt("", "alice"));
        assertTrue(emptyMd5.isEmptyPassword("alice"));
        assertFalse(emptyMd5.isEmptyPassword("bob"), "the md5 form is salted with the user name");
        assertFalse(Secret.of(Md5Password.encrypt("pw", "alice")).isEmptyPassword("alice"));
        assertFalse(Secret.of(ScramSecretTest.PG_PENCIL).isEmptyPassword("alice"));
    }

    @Test
    void toStringNeverShowsPasswordOrHash() {
        assertFalse(Secret.of("hunter2").toString().contains("hunter2"));
        assertFalse(Secret.of("md5c12a0a8856d2d03129e69fd816b3a6d8").toString().contains("c12a0a"));
    }
}
