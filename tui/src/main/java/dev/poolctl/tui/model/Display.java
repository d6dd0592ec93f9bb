package dev.poolctl.tui.model;

/** Whether new snapshots reach the screen. Frozen keeps the last one still to read; polling goes on. */
public enum Display {
    LIVE, FROZEN
}
