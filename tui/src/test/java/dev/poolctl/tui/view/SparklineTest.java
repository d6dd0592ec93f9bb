package dev.poolctl.tui.view;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class SparklineTest {
    @Test
    void scalesToTheBiggestSampleAndRightAligns() {
        assertEquals("  \u2581\u2585\u2588", Sparkline.of(new double[] {0, 4, 8}, 5));
        assertEquals("\u2581\u2581", Sparkline.of(new double[] {0, 0}, 2), "all zero is a flat baseline");
        assertEquals("\u2585\u2588", Sparkline.of(new double[] {1, 2, 4, 8}, 2), "only the newest that fit");
    }

    @Test
    void foldsSamplesPerCellKeepingSpikes() {
        // cells from the newest end: [0,0,9] [0,0,0] -> the spike survives the fold
        assertEquals("\u2588\u2581", Sparkline.of(new double[] {0, 0, 9, 0, 0, 0}, 2, 3));
        // 7 samples in cells of 3: the oldest cell is partial
        assertEquals(" \u2588\u2581\u2581", Sparkline.of(new double[] {8, 0, 0, 0, 0, 0, 0}, 4, 3));
    }

    @Test
    void historyCoversAboutFiveMinutes() {
        assertEquals(15, PoolsView.samplesPerCell(Duration.ofSeconds(1)), "20 cells x 15 s");
        assertEquals(1, PoolsView.samplesPerCell(Duration.ofSeconds(30)));
        assertEquals(30, PoolsView.samplesPerCell(Duration.ofMillis(250)), "capped by the history kept");
    }
}
