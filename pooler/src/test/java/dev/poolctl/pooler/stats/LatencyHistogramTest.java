package dev.poolctl.pooler.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class LatencyHistogramTest {
    @Test
    void bucketsAreInclusiveUpperBoundsAndCumulativeCountsAddUp() {
        LatencyHistogram h = new LatencyHistogram();
        h.record(0);
        h.record(100); // on the bound: in the 100 us bucket, as Prometheus's le
        h.record(101);
        h.record(20_000_000); // above every bound
        assertEquals(2, h.cumulative(0));
        assertEquals(3, h.cumulative(1));
        assertEquals(3, h.cumulative(LatencyHistogram.BOUNDS_US.length - 1));
        assertEquals(4, h.cumulative(LatencyHistogram.BOUNDS_US.length));
        assertEquals(4, h.count());
        assertEquals(20_000_201, h.sumUs());
        assertEquals(20_000_000, h.maxUs());
    }

    @Test
    void quantilesAreTheUpperBoundOfTheirBucketAndTheMaxAboveTheLast() {
        LatencyHistogram h = new LatencyHistogram();
        assertEquals(0, h.quantileUs(0.5), "nothing recorded");
        for (int i = 0; i < 98; i++) {
            h.record(80);
        }
        h.record(3_000);
        h.record(30_000_000);
        assertEquals(100, h.quantileUs(0.5));
        assertEquals(100, h.quantileUs(0.98));
        assertEquals(5_000, h.quantileUs(0.99), "rank 99: the 3 ms one, in the 5 ms bucket");
        assertEquals(30_000_000, h.quantileUs(1.0), "above 10 s: the longest seen");
        LatencyHistogram one = new LatencyHistogram();
        one.record(42);
        assertEquals(42, one.quantileUs(0.99), "never above the longest seen");
    }
}
