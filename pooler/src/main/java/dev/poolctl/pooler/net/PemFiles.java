package dev.poolctl.pooler.net;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the PEM files PgBouncer reads: certificates, and unencrypted private keys in the three forms OpenSSL writes
 * ({@code PRIVATE KEY}: PKCS#8; {@code RSA PRIVATE KEY}: PKCS#1, what OpenSSL 1.x's genrsa made; {@code EC PRIVATE
 * KEY}: SEC1, what ecparam -genkey makes). The JDK and Netty read only PKCS#8, and existing deployments have the
 * others, so the two are wrapped into PKCS#8 here; no extra library.
 */
final class PemFiles {
    private static final Pattern BLOCK =
            Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \\1-----", Pattern.DOTALL);
    /** rsaEncryption and id-ecPublicKey, DER-encoded OBJECT IDENTIFIERs. */
    private static final byte[] RSA_OID = {0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01,
        0x01, 0x01};
    private static final byte[] EC_OID = {0x06, 0x07, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x02, 0x01};

    private PemFiles() {}

    /** Every certificate in the file, in order (the leaf first, then its chain). */
    static X509Certificate[] certificates(Path file) throws IOException, GeneralSecurityException {
        CertificateFactory factory = CertificateFactory.getInstance("X.509");
        List<X509Certificate> certs = new ArrayList<>();
        try (InputStream in = Files.newInputStream(file)) {
            factory.generateCertificates(in).forEach(c -> certs.add((X509Certificate) c));
        }
        if (certs.isEmpty()) {
            throw new GeneralSecurityException("no certificate in " + file);
        }
        return certs.toArray(X509Certificate[]::new);
    }

    /** The first private key of the file. */
    static PrivateKey privateKey(Path file) throws IOException, GeneralSecurityException {
        String text = Files.readString(file, StandardCharsets.US_ASCII);
        Matcher m = BLOCK.matcher(text);
        while (m.find()) {
            String type = m.group(1);
            if (!type.endsWith("PRIVATE KEY")) {
                continue; // EC PARAMETERS, or a certificate kept in the same file
            }
            String body = m.group(2);
            if (type.startsWith("ENCRYPTED") || body.contains("ENCRYPTED")) {
                throw new GeneralSecurityException(file + " holds an encrypted key; the pooler (like PgBouncer) needs"
                        + " it without a passphrase");
            }
            byte[] der = Base64.getMimeDecoder().decode(body.replaceAll("(?m)^[A-Za-z-]+:.*$", ""));
            return switch (type) {
                case "PRIVATE KEY" -> pkcs8(der);
                case "RSA PRIVATE KEY" -> KeyFactory.getInstance("RSA").generatePrivate(
                        new PKCS8EncodedKeySpec(wrap(seq(RSA_OID, new byte[] {0x05, 0x00}), der)));
                case "EC PRIVATE KEY" -> KeyFactory.getInstance("EC").generatePrivate(
                        new PKCS8EncodedKeySpec(wrap(seq(EC_OID, sec1Curve(der)), der)));
                default -> throw new GeneralSecurityException("unsupported key type " + type + " in " + file);
            };
        }
        throw new GeneralSecurityException("no private key in " + file);
    }

    /**
     * Whether {@code key} belongs to {@code cert}: a signature made with the key verifies with the certificate. A
     * mismatch otherwise shows only as a failed handshake for every client, with no hint why.
     */
    static boolean matches(PrivateKey key, X509Certificate cert) throws GeneralSecurityException {
        String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "Ed25519", "Ed448", "EdDSA" -> key.getAlgorithm();
            default -> null;
        };
        if (algorithm == null) {
            return true; // RSASSA-PSS and others: left to the handshake
        }
        byte[] probe = "poolctl key check".getBytes(StandardCharsets.US_ASCII);
        java.security.Signature sign = java.security.Signature.getInstance(algorithm);
        sign.initSign(key);
        sign.update(probe);
        byte[] signature = sign.sign();
        java.security.Signature verify = java.security.Signature.getInstance(algorithm);
        try {
            verify.initVerify(cert.getPublicKey());
        } catch (java.security.InvalidKeyException e) {
            return false; // an RSA key with an EC certificate, or the other way round
        }
        verify.update(probe);
        return verify.verify(signature);
    }

    private static PrivateKey pkcs8(byte[] der) throws GeneralSecurityException {
        PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(der);
        GeneralSecurityException last = null;
        for (String algorithm : List.of("RSA", "EC", "Ed25519", "Ed448", "RSASSA-PSS")) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(spec);
            } catch (GeneralSecurityException e) {
                last = e;
            }
        }
        throw new GeneralSecurityException("not an RSA, EC or EdDSA key", last);
    }

    /** PKCS#8 PrivateKeyInfo: version 0, the algorithm, and the algorithm's own key encoding as an OCTET STRING. */
    private static byte[] wrap(byte[] algorithm, byte[] key) {
        return tlv(0x30, concat(new byte[] {0x02, 0x01, 0x00}, algorithm, tlv(0x04, key)));
    }

    private static byte[] seq(byte[]... parts) {
        return tlv(0x30, concat(parts));
    }

    /** The curve OID of a SEC1 ECPrivateKey: SEQUENCE { INTEGER 1, OCTET STRING, [0] { OID } ... }. */
    private static byte[] sec1Curve(byte[] der) throws GeneralSecurityException {
        int[] pos = {0};
        expect(der, pos, 0x30);
        length(der, pos);
        while (pos[0] < der.length) {
            int tag = der[pos[0]++] & 0xff;
            int len = length(der, pos);
            if (tag == 0xa0) {
                byte[] oid = new byte[len];
                System.arraycopy(der, pos[0], oid, 0, len);
                return oid;
            }
            pos[0] += len;
        }
        throw new GeneralSecurityException("EC key without its curve name (write it with -param_enc named_curve)");
    }

    private static void expect(byte[] der, int[] pos, int tag) throws GeneralSecurityException {
        if (pos[0] >= der.length || (der[pos[0]++] & 0xff) != tag) {
            throw new GeneralSecurityException("not a DER sequence");
        }
    }

    private static int length(byte[] der, int[] pos) throws GeneralSecurityException {
        if (pos[0] >= der.length) {
            throw new GeneralSecurityException("truncated DER");
        }
        int first = der[pos[0]++] & 0xff;
        if (first < 0x80) {
            return first;
        }
        int n = first & 0x7f;
        if (n > 3 || pos[0] + n > der.length) {
            throw new GeneralSecurityException("bad DER length");
        }
        int len = 0;
        for (int i = 0; i < n; i++) {
            len = (len << 8) | (der[pos[0]++] & 0xff);
        }
        return len;
    }

    private static byte[] tlv(int tag, byte[] value) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(value.length + 6);
        out.write(tag);
        int len = value.length;
        if (len < 0x80) {
            out.write(len);
        } else if (len < 0x100) {
            out.write(0x81);
            out.write(len);
        } else if (len < 0x10000) {
            out.write(0x82);
            out.write(len >> 8);
            out.write(len);
        } else {
            out.write(0x83);
            out.write(len >> 16);
            out.write(len >> 8);
            out.write(len);
        }
        out.writeBytes(value);
        return out.toByteArray();
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

}
