package dev.poolctl.pooler.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * PostgreSQL's md5 password scheme: the stored form {@code "md5" + hex(md5(password + user))} and the answer to
 * AuthenticationMD5Password, which only needs the stored form (that is why PgBouncer can log into a server with an
 * md5 secret from its auth_file but never learns the password).
 */
public final class Md5Password {
    /** {@code "md5"} followed by 32 hex digits. */
    public static final int SECRET_LENGTH = 35;

    private static final String PREFIX = "md5";
    private static final HexFormat HEX = HexFormat.of(); // lowercase, as PostgreSQL writes it

    private Md5Password() {
    }

    /** The stored form PostgreSQL keeps in {@code pg_authid.rolpassword} for an md5 password. */
    public static String encrypt(String password, String user) {
        return PREFIX + HEX.formatHex(md5(utf8(password), utf8(user)));
    }

    /**
     * What a client sends in PasswordMessage for AuthenticationMD5Password: {@code "md5" + hex(md5(hex + salt))},
     * where {@code hex} is the stored secret without its {@code md5} prefix.
     *
     * @throws IllegalArgumentException if {@code md5Secret} is not an md5 secret or the salt is not 4 bytes
     */
    public static String challengeResponse(String md5Secret, byte[] salt4) {
        if (!isMd5Secret(md5Secret)) {
            throw new IllegalArgumentException("not an md5 secret");
        }
        if (salt4.length != 4) {
            throw new IllegalArgumentException("md5 salt must be 4 bytes, got " + salt4.length);
        }
        byte[] hexPart = md5Secret.substring(PREFIX.length()).getBytes(StandardCharsets.US_ASCII);
        return PREFIX + HEX.formatHex(md5(hexPart, salt4));
    }

    /**
     * Whether the value is an md5 secret: {@code md5} and 32 lowercase hex digits, the test PostgreSQL applies
     * (an upper-case digest is therefore a plain password, as it is for PostgreSQL).
     */
    public static boolean isMd5Secret(String value) {
        if (value == null || value.length() != SECRET_LENGTH || !value.startsWith(PREFIX)) {
            return false;
        }
        for (int i = PREFIX.length(); i < SECRET_LENGTH; i++) {
            char c = value.charAt(i);
            boolean hexDigit = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
            if (!hexDigit) {
                return false;
            }
        }
        return true;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** One digest per thread: the provider lookup of getInstance cost more than the hash on every login. */
    private static final ThreadLocal<MessageDigest> MD5 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform must provide MD5", e);
        }
    });

    private static byte[] md5(byte[] first, byte[] second) {
        MessageDigest md = MD5.get();
        md.update(first);
        md.update(second);
        return md.digest(); // resets it for the next use
    }
}
