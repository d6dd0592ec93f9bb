package dev.poolctl.pooler.pool;

import java.util.HashSet;
import java.util.Set;

/** PAUSE, SUSPEND, KILL and DISABLE as they stand: global mode, paused databases, disabled databases. */
final class PauseState {
    PoolManager.PauseMode mode = PoolManager.PauseMode.NONE;
    /** When SUSPEND was issued (clock nanos): suspend_timeout counts from here. */
    long suspendSince;
    /** PAUSE db and KILL db (until RESUME db). */
    final Set<String> databases = new HashSet<>();
    /** DISABLE db (until ENABLE db): new clients refused. */
    final Set<String> disabled = new HashSet<>();

    boolean isPaused(String database) {
        return mode != PoolManager.PauseMode.NONE || (!databases.isEmpty() && databases.contains(database));
    }
}
