package dev.poolctl.pooler.pool;

import dev.poolctl.pooler.config.DatabaseConfig;
import dev.poolctl.pooler.config.LoadBalanceHosts;
import java.util.List;

/**
 * Which host of a database's {@code host=a,b,c} list the pool's next server connection goes to
 * ({@code load_balance_hosts}), and how the list fails over: a host that refuses, times out or has the wrong role
 * for {@code target_session_attrs} is skipped for the next one at once while hosts are left in this round; only
 * when every host has failed in a row does the pool wait ({@link LoginRetry}).
 */
public final class HostList {
    /** round-robin: the index the next connection takes; disable: the host in use until it fails. */
    private int next;
    /** Logins failed since the last one that succeeded, within this round of the list. */
    private int failedInRow;
    /** prefer-standby: logins that found a primary, in a row; a whole round of them means there is no standby. */
    private int primariesInRow;
    /** The host of the last good login (after a failover: the new primary); null before the first. */
    private String current;

    /** The host for a new connection, or null when the entry has none (the unix socket in unix_socket_dir). */
    String pick(DatabaseConfig db) {
        List<String> hosts = db.hosts();
        if (hosts.isEmpty()) {
            return null;
        }
        int i = db.loadBalanceHosts() == LoadBalanceHosts.ROUND_ROBIN ? next++ : next;
        return hosts.get(Math.floorMod(i, hosts.size()));
    }

    /**
     * A login to {@code host} failed. True when another host of the list has not failed since the last good login:
     * the pool tries it now. False when the whole list has failed: the error counts for the retry wait, and the
     * next round starts after it.
     */
    boolean failed(DatabaseConfig db, String host) {
        List<String> hosts = db.hosts();
        if (hosts.isEmpty()) {
            return false;
        }
        String current = hosts.get(Math.floorMod(next, hosts.size()));
        if (db.loadBalanceHosts() == LoadBalanceHosts.DISABLE && current.equals(host)) {
            next++; // PgBouncer: the same host until a connection to it fails, then the next one
        }
        failedInRow++;
        if (failedInRow < hosts.size()) {
            return true;
        }
        failedInRow = 0;
        return false;
    }

    /** A server logged in to {@code host}; {@code standby}: it is one (prefer-standby stops taking primaries). */
    void succeeded(String host, boolean standby) {
        current = host;
        failedInRow = 0;
        if (standby) {
            primariesInRow = 0;
        }
    }

    /** The host of the last good login, or null: SHOW DATABASES current_host. */
    public String current() {
        return current;
    }

    /** prefer-standby: a login found a primary and was turned down. */
    public void primaryTurnedDown() {
        primariesInRow++;
    }

    /** prefer-standby: every host of the list has been found a primary in a row, so a primary will do. */
    public boolean noStandbyFound(DatabaseConfig db) {
        return primariesInRow >= Math.max(1, db.hosts().size());
    }
}
