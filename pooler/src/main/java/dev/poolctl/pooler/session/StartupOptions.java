package dev.poolctl.pooler.session;

import java.util.ArrayList;
import java.util.List;

/**
 * The {@code options} startup parameter (libpq's {@code options=-c name=value}), read as PgBouncer 1.20+ reads
 * it: only {@code -c name=value} and {@code --name=value}, separated by whitespace, with backslash escapes.
 */
final class StartupOptions {
    /** PgBouncer's wording for anything else in options. */
    static final String UNSUPPORTED = "unsupported options startup parameter: only '-c config=val' and '--config=val' are allowed";

    private StartupOptions() {}

    /** The {@code name=value} settings in {@code options}, in order; names as given. */
    static List<String[]> parse(String options) throws IllegalArgumentException {
        List<String[]> settings = new ArrayList<>();
        int i = 0;
        int n = options.length();
        while (true) {
            i = skipSpace(options, i);
            if (i >= n) {
                return settings;
            }
            if (options.startsWith("--", i)) {
                i += 2;
            } else if (options.startsWith("-c", i)) {
                i = skipSpace(options, i + 2);
            } else {
                throw new IllegalArgumentException(UNSUPPORTED);
            }
            StringBuilder token = new StringBuilder();
            while (i < n && !Character.isWhitespace(options.charAt(i))) {
                char c = options.charAt(i++);
                if (c == '\\') {
                    if (i >= n) {
                        break;
                    }
                    c = options.charAt(i++);
                }
                token.append(c);
            }
            int eq = token.indexOf("=");
            if (eq <= 0) {
                throw new IllegalArgumentException(UNSUPPORTED);
            }
            settings.add(new String[] {token.substring(0, eq), token.substring(eq + 1)});
        }
    }

    private static int skipSpace(String s, int i) {
        while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
            i++;
        }
        return i;
    }
}
