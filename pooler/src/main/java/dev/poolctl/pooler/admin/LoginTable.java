package dev.poolctl.pooler.admin;

import static dev.poolctl.pooler.admin.ResultSetWriter.int8;
import static dev.poolctl.pooler.admin.ResultSetWriter.text;

import dev.poolctl.pooler.pool.Pool;
import dev.poolctl.pooler.pool.PoolManager;
import java.util.List;

/**
 * SHOW LOGINS (poolctl's own): per pool, the client logins it served, its server logins that succeeded and failed,
 * and the error of its last server login while none has succeeded since (what the log said as {@code server login
 * failed: ...}), so that a pool whose clients wait because PostgreSQL refuses the pooler is visible without the log.
 */
final class LoginTable {
    private LoginTable() {}

    static Table of(PoolManager manager) {
        Table rs = new Table(List.of(text("database"), text("user"), int8("client_logins"), int8("server_logins"),
                int8("server_login_failures"), text("last_login_error")));
        for (Pool p : manager.pools()) {
            rs.row(p.key().database(), p.key().user(), p.stats().clientLoginCount, p.welcome().logins(),
                    p.welcome().loginFailures(), p.welcome().failedSinceLogin());
        }
        return rs;
    }
}
