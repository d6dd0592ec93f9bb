package dev.poolctl.pooler.config;


import java.math.BigDecimal;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Parsers for the value syntaxes of {@code pgbouncer.ini}, shared by {@link Setting} and the connect-string
 * parsers. Each throws {@link IllegalArgumentException} whose message describes the bad value only
 * ({@code invalid integer 'abc'}); the caller adds file, section and key.
 */
final class Values {
    /** What C's strtod accepts for a time value, minus hex floats, inf and nan, which no operator writes. */
    private static final Pattern SECONDS = Pattern.compile("\\+?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?");
    private static final Pattern DECIMAL = Pattern.compile("[+-]?\\d+");
    private static final List<String> SSL_MODES =
            List.of("disable", "allow", "prefer", "require", "verify-ca", "verify-full");

    private Values() {
    }

    /**
     * An integer in C's {@code strtol(value, &end, 0)} syntax, as PgBouncer reads its integer settings: a leading
     * {@code 0x} means hex and a leading {@code 0} octal, so {@code unix_socket_mode = 0777} means what it says.
     */
    static int parseCInt(String value) {
        String s = value.trim();
        boolean negative = s.startsWith("-");
        String digits = (negative || s.startsWith("+")) ? s.substring(1) : s;
        int radix = 10;
        if (digits.length() > 2 && (digits.startsWith("0x") || digits.startsWith("0X"))) {
            radix = 16;
            digits = digits.substring(2);
        } else if (digits.length() > 1 && digits.startsWith("0")) {
            radix = 8;
            digits = digits.substring(1);
        }
        if (digits.isEmpty() || digits.startsWith("+") || digits.startsWith("-")) {
            throw invalidInteger(value);
        }
        try {
            long parsed = Long.parseLong(digits, radix);
            long signed = negative ? -parsed : parsed;
            if (signed < Integer.MIN_VALUE || signed > Integer.MAX_VALUE) {
                throw invalidInteger(value);
            }
            return (int) signed;
        } catch (NumberFormatException e) {
            throw invalidInteger(value);
        }
    }

    /** A plain decimal integer, for connect-string values (PgBouncer reads those with atoi, base 10). */
    static int parseDecimalInt(String value) {
        String s = value.trim();
        if (!DECIMAL.matcher(s).matches()) {
            throw invalidInteger(value);
        }
        try {
            return Integer.parseInt(s.startsWith("+") ? s.substring(1) : s);
        } catch (NumberFormatException e) {
            throw invalidInteger(value);
        }
    }

    private static IllegalArgumentException invalidInteger(String value) {
        return new IllegalArgumentException("invalid integer '" + value + "'");
    }

    /**
     * A boolean. PgBouncer stores its booleans as integers (any non-zero integer is true); we also accept the
     * words {@code yes/no/on/off/true/false} that operators write by habit.
     */
    static boolean parseBool(String value) {
        switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "yes":
            case "on":
            case "true":
                return true;
            case "no":
            case "off":
            case "false":
                return false;
            default:
                try {
                    return parseCInt(value) != 0;
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("invalid boolean '" + value + "'");
                }
        }
    }

    /**
     * Seconds as a non-negative decimal ({@code 0.5}, {@code 120}), no unit suffix. Truncated to microseconds
     * like PgBouncer's {@code usec_t}.
     */
    static Duration parseSeconds(String value) {
        String s = value.trim();
        if (!SECONDS.matcher(s).matches()) {
            throw new IllegalArgumentException("invalid duration '" + value + "': expected seconds, like 30 or 0.5");
        }
        double seconds = Double.parseDouble(s);
        if (Double.isInfinite(seconds)) {
            throw new IllegalArgumentException("invalid duration '" + value + "': too large");
        }
        // The cast saturates at Long.MAX_VALUE, which is ~292,000 years: effectively "never".
        long micros = (long) (seconds * 1_000_000d);
        return Duration.of(micros, ChronoUnit.MICROS);
    }

    /** Seconds without trailing zeros ({@code 0.5}, {@code 120}), close to what PgBouncer's {@code %g} prints. */
    static String formatSeconds(Duration duration) {
        BigDecimal micros = BigDecimal.valueOf(duration.getSeconds()).scaleByPowerOfTen(6)
                .add(BigDecimal.valueOf(duration.getNano() / 1000));
        return micros.movePointLeft(6).stripTrailingZeros().toPlainString();
    }

    /** A comma-separated list; items are trimmed and empty items dropped, so "" is the empty list. */
    static List<String> parseList(String value) {
        List<String> items = new ArrayList<>();
        for (String item : value.split(",")) {
            String trimmed = item.trim();
            if (!trimmed.isEmpty()) {
                items.add(trimmed);
            }
        }
        return List.copyOf(items);
    }

    static PoolMode parsePoolMode(String value) {
        try {
            return PoolMode.parse(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "invalid value '" + value + "': expected session, transaction or statement");
        }
    }

    /** A TLS mode name, lower-cased ({@code disable}, ..., {@code verify-full}). */
    static String parseSslMode(String value) {
        String mode = value.trim().toLowerCase(Locale.ROOT);
        if (!SSL_MODES.contains(mode)) {
            throw new IllegalArgumentException("invalid value '" + value + "': expected one of "
                    + String.join(", ", SSL_MODES));
        }
        return mode;
    }

    /** {@code auto} as 0, else a positive integer of at most 1024 (more loops than that is a typo). */
    static int parseCountOrAuto(String value) {
        String v = value.trim();
        if (v.equalsIgnoreCase("auto")) {
            return 0;
        }
        int n;
        try {
            n = parseCInt(v);
        } catch (IllegalArgumentException e) {
            n = -1;
        }
        if (n < 1 || n > 1024) {
            throw new IllegalArgumentException("invalid value '" + value + "': expected auto or 1..1024");
        }
        return n;
    }
}
