package dev.poolctl.pooler.admin;

import static dev.poolctl.pooler.admin.ResultSetWriter.int4;
import static dev.poolctl.pooler.admin.ResultSetWriter.int8;
import static dev.poolctl.pooler.admin.ResultSetWriter.text;

import dev.poolctl.pooler.pool.Pool;
import dev.poolctl.pooler.pool.PoolManager;
import dev.poolctl.pooler.pool.WaitCause;
import java.util.List;

/**
 * SHOW WAITS (poolctl's own): one row per pool whose clients wait for a server, with why ({@link WaitCause}), so
 * that "why do they wait" is answered from the pooler's state instead of guessed from SHOW POOLS. A command of its
 * own, so that SHOW POOLS stays PgBouncer's for tools that parse it.
 */
final class WaitTable {
    private WaitTable() {}

    static Table of(PoolManager manager) {
        Table rs = new Table(List.of(text("database"), text("user"), int4("cl_waiting"), int8("maxwait_us"),
                text("cause"), text("detail")));
        long now = manager.clock().nanoTime();
        for (Pool p : manager.pools()) {
            WaitCause why = WaitCause.of(p);
            if (why != null) {
                rs.row(p.key().database(), p.key().user(), p.queuedCount(), p.maxWaitNanos(now) / 1_000,
                        why.cause(), why.detail());
            }
        }
        return rs;
    }
}
