package dev.poolctl.pooler.support;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A client that keeps writing through the pooler while the test breaks PostgreSQL: inserts {@code first+1},
 * {@code first+2}, ... into {@code table (id int primary key)} in autocommit and remembers which inserts were
 * acknowledged, so the test can check that each of them is in the database (and, by the key, once). A failed insert
 * is retried with the same id. A client whose server went away in the middle of its statement is closed by the
 * pooler (PgBouncer's {@code server conn crashed?}): it then reconnects, as an application's connection pool would;
 * an idle one keeps its connection.
 */
public final class AckedWriter implements Runnable {
    private final String insert;
    private final int first;
    private final Callable<Connection> connect;
    public final AtomicBoolean stop = new AtomicBoolean();
    private final List<Integer> acked = Collections.synchronizedList(new ArrayList<>());
    private final List<Long> ackNanos = Collections.synchronizedList(new ArrayList<>());
    public final AtomicLong longestGapNanos = new AtomicLong();
    public final AtomicLong failures = new AtomicLong();
    public final AtomicLong reconnects = new AtomicLong();

    public AckedWriter(String table, int first, Callable<Connection> connect) {
        this.insert = "INSERT INTO " + table + " VALUES (?) ON CONFLICT (id) DO NOTHING";
        this.first = first;
        this.connect = connect;
    }

    public int ackedCount() {
        return acked.size();
    }

    public List<Integer> ackedSnapshot() {
        synchronized (acked) {
            return new ArrayList<>(acked);
        }
    }

    /** When the first write acknowledged at or after {@code nanos} was, or -1 if none yet. */
    public long firstAckAtOrAfter(long nanos) {
        synchronized (ackNanos) {
            for (long t : ackNanos) {
                if (t >= nanos) {
                    return t;
                }
            }
        }
        return -1;
    }

    @Override
    public void run() {
        int id = first + 1;
        long lastAck = System.nanoTime();
        Connection c = null;
        try {
            while (!stop.get()) {
                try {
                    if (c == null || c.isClosed()) {
                        c = connect.call();
                        reconnects.incrementAndGet();
                    }
                    try (PreparedStatement st = c.prepareStatement(insert)) {
                        st.setInt(1, id);
                        st.executeUpdate();
                    }
                    long now = System.nanoTime();
                    longestGapNanos.accumulateAndGet(now - lastAck, Math::max);
                    lastAck = now;
                    synchronized (acked) {
                        acked.add(id++);
                        ackNanos.add(now);
                    }
                } catch (SQLException e) {
                    failures.incrementAndGet(); // the same id again
                    Thread.sleep(20);
                }
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        } finally {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (SQLException ignored) {
                // the test is over
            }
        }
    }
}
