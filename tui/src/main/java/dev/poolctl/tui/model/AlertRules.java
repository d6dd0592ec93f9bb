package dev.poolctl.tui.model;

import java.time.Duration;

/**
 * @param after how long a condition must hold before it is raised
 * @param saturation the sv_active / pool_size ratio that counts as near the size
 * @param maxwaitWarn maxwait from which the pools table colours a pool red
 */
public record AlertRules(Duration after, double saturation, Duration maxwaitWarn) {
    public static final AlertRules DEFAULT = new AlertRules(Duration.ofSeconds(5), 0.8, Duration.ofSeconds(1));
}
