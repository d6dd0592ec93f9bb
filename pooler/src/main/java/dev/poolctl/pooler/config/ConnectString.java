package dev.poolctl.pooler.config;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits PgBouncer's libpq-like {@code key=value key='quoted value'} strings, used as values in
 * {@code [databases]}, {@code [users]} and {@code [peers]}, into pairs. Mirrors {@code cstr_get_pair} in
 * PgBouncer's {@code loader.c}:
 * <ul>
 *   <li>a key runs up to {@code =} or a space, and spaces may surround the {@code =};</li>
 *   <li>an unquoted value runs up to the next space; a value in single quotes may hold spaces and {@code =}, and
 *       {@code ''} inside it stands for one quote;</li>
 *   <li>backslashes are ordinary characters;</li>
 *   <li>empty values ({@code key=} or {@code key=''}) are a syntax error.</li>
 * </ul>
 */
final class ConnectString {
    /** One {@code key=value} of a connect string, in the order written. */
    record Pair(String key, String value) {
    }

    private ConnectString() {
    }

    /**
     * @throws IllegalArgumentException on a syntax error, with a message saying what is wrong
     */
    static List<Pair> parse(String text) {
        List<Pair> pairs = new ArrayList<>();
        int pos = skipSpace(text, 0);
        while (pos < text.length()) {
            int keyStart = pos;
            while (pos < text.length() && text.charAt(pos) != '=' && !isSpace(text.charAt(pos))) {
                pos++;
            }
            String key = text.substring(keyStart, pos);
            pos = skipSpace(text, pos);
            if (key.isEmpty() || pos >= text.length() || text.charAt(pos) != '=') {
                throw new IllegalArgumentException("syntax error in connection string: expected key=value at '"
                        + text.substring(keyStart) + "'");
            }
            pos = skipSpace(text, pos + 1);

            StringBuilder value = new StringBuilder();
            if (pos < text.length() && text.charAt(pos) == '\'') {
                pos++;
                boolean closed = false;
                while (pos < text.length()) {
                    char c = text.charAt(pos);
                    if (c == '\'') {
                        if (pos + 1 < text.length() && text.charAt(pos + 1) == '\'') {
                            value.append('\'');
                            pos += 2;
                            continue;
                        }
                        closed = true;
                        pos++;
                        break;
                    }
                    value.append(c);
                    pos++;
                }
                if (!closed) {
                    throw new IllegalArgumentException(
                            "syntax error in connection string: unterminated quoted value for " + key);
                }
                if (pos < text.length() && !isSpace(text.charAt(pos))) {
                    throw new IllegalArgumentException(
                            "syntax error in connection string: expected a space after the quoted value of " + key);
                }
            } else {
                while (pos < text.length() && !isSpace(text.charAt(pos))) {
                    value.append(text.charAt(pos));
                    pos++;
                }
            }
            if (value.length() == 0) {
                throw new IllegalArgumentException("syntax error in connection string: empty value for " + key);
            }
            pairs.add(new Pair(key, value.toString()));
            pos = skipSpace(text, pos);
        }
        return pairs;
    }

    private static int skipSpace(String text, int pos) {
        while (pos < text.length() && isSpace(text.charAt(pos))) {
            pos++;
        }
        return pos;
    }

    private static boolean isSpace(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\u000b';
    }
}
