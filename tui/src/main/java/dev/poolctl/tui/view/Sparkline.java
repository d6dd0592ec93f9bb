package dev.poolctl.tui.view;

/** Samples as block characters, scaled to the largest sample shown; all-zero history is a flat baseline. */
public final class Sparkline {
    private static final char[] LEVELS = {'\u2581', '\u2582', '\u2583', '\u2584', '\u2585', '\u2586', '\u2587',
        '\u2588'};

    private Sparkline() {}

    /**
     * The newest samples in {@code width} cells, {@code perCell} samples to a cell (the biggest of them, so a
     * one-sample spike of waiting clients still shows), right-aligned.
     */
    public static String of(double[] samples, int width, int perCell) {
        int cells = (samples.length + perCell - 1) / perCell;
        double[] folded = new double[cells];
        // Cells are cut from the newest end, so the oldest cell is the one that may be partial.
        for (int c = 0; c < cells; c++) {
            int end = samples.length - (cells - 1 - c) * perCell;
            double max = 0;
            for (int i = Math.max(0, end - perCell); i < end; i++) {
                max = Math.max(max, samples[i]);
            }
            folded[c] = max;
        }
        return of(folded, width);
    }

    /** The newest samples right-aligned in {@code width} cells, one sample to a cell. */
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
