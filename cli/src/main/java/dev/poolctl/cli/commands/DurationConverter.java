package dev.poolctl.cli.commands;

import java.time.Duration;
import java.util.Locale;
import picocli.CommandLine;

/** {@code 500ms}, {@code 1s}, {@code 2m}, or a plain number of seconds ({@code 1.5}), as PgBouncer's settings read. */
public final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
        String v = value.trim().toLowerCase(Locale.ROOT);
        try {
            if (v.endsWith("ms")) {
                return positive(Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2).trim())), value);
            }
            double factor = 1;
            if (v.endsWith("s")) {
                v = v.substring(0, v.length() - 1);
            } else if (v.endsWith("min") || v.endsWith("m")) {
                v = v.substring(0, v.length() - (v.endsWith("min") ? 3 : 1));
                factor = 60;
            }
            return positive(Duration.ofMillis(Math.round(Double.parseDouble(v.trim()) * factor * 1000)), value);
        } catch (NumberFormatException e) {
            throw new CommandLine.TypeConversionException("'" + value + "' is not a duration (e.g. 500ms, 1s, 2m)");
        }
    }

    private static Duration positive(Duration d, String value) {
        if (d.isNegative() || d.isZero()) {
            throw new CommandLine.TypeConversionException("'" + value + "' must be more than 0");
        }
        return d;
    }
}
