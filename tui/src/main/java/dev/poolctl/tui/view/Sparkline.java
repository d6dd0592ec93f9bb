package dev.poolctl.tui.view;

/** Samples as block characters, scaled to the largest sample shown; all-zero history is a flat baseline. */
public final class Sparkline {
    private static final char[] LEVELS = {'\u2581', '\u2582', '\u2583', '\u2584', '\u2585', '\u2586', '\u2587',
        '\u2588'};

    private Sparkline() {}

    /** The newest samples right-aligned in {@code width} cells. */
    public static String of(double[] samples, int width) {
        int n = Math.min(samples.length, width);
        double max = 0;
        for (int i = samples.length - n; i < samples.length; i++) {
            max = Math.max(max, samples[i]);
        }
        StringBuilder sb = new StringBuilder(width);
        sb.append(" ".repeat(width - n));
        for (int i = samples.length - n; i < samples.length; i++) {
            double v = samples[i];
            int level = max <= 0 || v <= 0 ? 0 : (int) Math.ceil(v / max * (LEVELS.length - 1));
            sb.append(LEVELS[Math.min(LEVELS.length - 1, level)]);
        }
        return sb.toString();
    }
}
