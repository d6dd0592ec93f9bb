package dev.poolctl.tui.view;

import java.time.Duration;
import java.util.Locale;

/** Numbers as an operator reads them in a narrow column. Unknown values (NaN) are a dash. */
public final class Format {
    public static final String UNKNOWN = "-";

    private Format() {}

    /** 0, 12, 999, 1.2k, 12.3k, 1.2M. Rates keep one decimal below 10. */
    public static String rate(double v) {
        if (Double.isNaN(v)) {
            return UNKNOWN;
        }
        if (v < 10 && v != Math.rint(v)) {
            return String.format(Locale.ROOT, "%.1f", v);
        }
        return count(Math.round(v));
    }

    public static String count(long v) {
        if (v < 10_000) {
            return Long.toString(v);
        }
        if (v < 1_000_000) {
            return String.format(Locale.ROOT, "%.1fk", v / 1e3);
        }
        return String.format(Locale.ROOT, "%.1fM", v / 1e6);
    }

    /** Bytes per second: 512 B/s, 1.2 kB/s, 3.4 MB/s. */
    public static String bytesPerSecond(double v) {
        if (Double.isNaN(v)) {
            return UNKNOWN;
        }
        if (v < 1000) {
            return Math.round(v) + " B/s";
        }
        if (v < 1e6) {
            return String.format(Locale.ROOT, "%.1f kB/s", v / 1e3);
        }
        return String.format(Locale.ROOT, "%.1f MB/s", v / 1e6);
    }

    /** Microseconds: 850us, 3.1ms, 1.20s. */
    public static String micros(double us) {
        if (Double.isNaN(us)) {
            return UNKNOWN;
        }
        if (us < 1000) {
            return Math.round(us) + "us";
        }
        if (us < 1_000_000) {
            return String.format(Locale.ROOT, "%.1fms", us / 1e3);
        }
        return String.format(Locale.ROOT, "%.2fs", us / 1e6);
    }

    /** 0s, 42s, 5m12s, 3h04m, 2d03h. */
    public static String duration(Duration d) {
        long s = Math.max(0, d.getSeconds());
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return (s / 60) + "m" + String.format(Locale.ROOT, "%02d", s % 60) + "s";
        }
        if (s < 86400) {
            return (s / 3600) + "h" + String.format(Locale.ROOT, "%02d", s % 3600 / 60) + "m";
        }
        return (s / 86400) + "d" + String.format(Locale.ROOT, "%02d", s % 86400 / 3600) + "h";
    }

    /** 250ms, 1s, 2s: refresh intervals. */
    public static String interval(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
    }

    /** maxwait: whole seconds as PgBouncer shows them, with tenths below ten seconds. */
    public static String seconds(double s) {
        if (s < 10) {
            return String.format(Locale.ROOT, "%.1fs", s);
        }
        return Math.round(s) + "s";
    }

    /** Pads or cuts {@code text} to exactly {@code width} cells. */
    public static String fit(String text, int width, boolean right) {
        String t = text == null ? "" : text;
        if (t.length() > width) {
            return width <= 1 ? t.substring(0, width) : t.substring(0, width - 1) + "~";
        }
        String pad = " ".repeat(width - t.length());
        return right ? pad + t : t + pad;
    }
}
