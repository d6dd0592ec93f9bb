package dev.poolctl.pooler.config;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * A {@code postgresql://user:password@host:port/dbname} URL as {@code DATABASE_URL} gives it (libpq's URI form, and
 * what Heroku, dj-database-url and the edoburu image read). Percent escapes are decoded, as libpq does (the image's
 * shell parser keeps them as written: a password with {@code %40} works here as {@code @}). One host only, no query
 * parameters: they have no place in a [databases] entry built this way, and silently dropping {@code sslmode} would
 * be worse than refusing it.
 */
final class DatabaseUrl {
    private static final int MAX_LENGTH = 4096;

    private DatabaseUrl() {}

    /** The URL's parts; absent ones are null (port -1). */
    static EnvConfig.Database parse(String variable, String url) throws ConfigException {
        String form = variable + ": expected postgresql://user:password@host:port/dbname";
        if (url.length() > MAX_LENGTH) {
            throw new ConfigException(variable + ": longer than " + MAX_LENGTH + " characters");
        }
        int schemeEnd = url.indexOf("://");
        if (schemeEnd < 0) {
            throw new ConfigException(form);
        }
        String scheme = url.substring(0, schemeEnd);
        if (!scheme.equals("postgresql") && !scheme.equals("postgres")) {
            throw new ConfigException(variable + ": the scheme must be postgresql:// or postgres://, not " + scheme
                    + "://");
        }
        String rest = url.substring(schemeEnd + 3);
        if (rest.indexOf('?') >= 0 || rest.indexOf('#') >= 0) {
            throw new ConfigException(variable + ": query parameters (?...) are not supported here; set the"
                    + " pooler's keys as variables instead (SERVER_TLS_SSLMODE=require, ...)");
        }
        int slash = rest.indexOf('/');
        String authority = slash < 0 ? rest : rest.substring(0, slash);
        String name = slash < 0 || slash == rest.length() - 1 ? null : decode(variable, rest.substring(slash + 1));
        // The password may hold '@' unescaped (the image takes the last '@'), so split there.
        int at = authority.lastIndexOf('@');
        String user = null;
        String password = null;
        if (at >= 0) {
            String userinfo = authority.substring(0, at);
            int colon = userinfo.indexOf(':');
            user = decode(variable, colon < 0 ? userinfo : userinfo.substring(0, colon));
            password = colon < 0 ? null : decode(variable, userinfo.substring(colon + 1));
            if (user.isEmpty()) {
                user = null;
            }
        }
        String hostPort = authority.substring(at + 1);
        String host;
        String port = null;
        if (hostPort.startsWith("[")) {
            int close = hostPort.indexOf(']');
            if (close < 0) {
                throw new ConfigException(variable + ": unclosed [ in the host");
            }
            host = hostPort.substring(1, close);
            String after = hostPort.substring(close + 1);
            if (after.startsWith(":")) {
                port = after.substring(1);
            } else if (!after.isEmpty()) {
                throw new ConfigException(form);
            }
        } else {
            int colon = hostPort.lastIndexOf(':');
            host = colon < 0 ? hostPort : hostPort.substring(0, colon);
            port = colon < 0 ? null : hostPort.substring(colon + 1);
        }
        if (host.indexOf(',') >= 0) {
            throw new ConfigException(variable + ": one host only (list the others in a pgbouncer.ini of your own)");
        }
        int portNumber = port == null || port.isEmpty() ? -1 : EnvConfig.intValue(variable + " (port)", port, 1, 65535);
        return new EnvConfig.Database(name, host.isEmpty() ? null : decode(variable, host), portNumber, user, password);
    }

    /** Percent-decoding of URL parts; '+' stays '+' (it is not a form). */
    private static String decode(String variable, String s) throws ConfigException {
        if (s.indexOf('%') < 0) {
            return s;
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(s.length());
        for (int i = 0; i < s.length(); i++) {
            int c = s.codePointAt(i);
            if (c == '%') {
                if (i + 2 >= s.length() || Character.digit(s.charAt(i + 1), 16) < 0
                        || Character.digit(s.charAt(i + 2), 16) < 0) {
                    throw new ConfigException(variable + ": a % must be followed by two hex digits");
                }
                bytes.write(Character.digit(s.charAt(i + 1), 16) * 16 + Character.digit(s.charAt(i + 2), 16));
                i += 2;
            } else {
                byte[] b = Character.toString(c).getBytes(StandardCharsets.UTF_8);
                bytes.write(b, 0, b.length);
                i += Character.charCount(c) - 1;
            }
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }
}
