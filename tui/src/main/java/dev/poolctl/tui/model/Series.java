package dev.poolctl.tui.model;

/** The last {@code capacity} samples of one measure, oldest first; a ring so history costs a fixed amount. */
public final class Series {
    private final double[] samples;
    private int next;
    private int size;

    public Series(int capacity) {
        samples = new double[capacity];
    }

    public void add(double value) {
        samples[next] = value;
        next = (next + 1) % samples.length;
        size = Math.min(size + 1, samples.length);
    }

    public int size() {
        return size;
    }

    /** The newest {@code n} samples (fewer if there are fewer), oldest first. */
    public double[] last(int n) {
        int count = Math.min(n, size);
        double[] out = new double[count];
        int start = (next - count + samples.length) % samples.length;
        for (int i = 0; i < count; i++) {
            out[i] = samples[(start + i) % samples.length];
        }
        return out;
    }
}
