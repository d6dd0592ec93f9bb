package dev.poolctl.pooler.admin;

import dev.poolctl.pooler.pool.GlobalState;
import dev.poolctl.pooler.pool.PoolManager;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;

/**
 * SHOW answers as rows for readers other than the console (the HTTP listener's /metrics and /stats), and whether
 * any pool can log in (its /readyz). They run the console's own code the console's way: each loop builds its part
 * on its loop and the parts are merged as for {@code SHOW}, so a scrape and the console cannot disagree, and no
 * pool is read from another thread.
 */
public final class ShowTables {
    /** A column's name and whether its values are numbers (int4, int8, numeric) rather than text. */
    public record Column(String name, boolean numeric) {}

    /** One SHOW answer: its columns, and rows of Integer, Long, String or null values in column order. */
    public record Result(List<Column> columns, List<Object[]> rows) {
        /** The position of column {@code name}; -1 when there is none. */
        public int column(String name) {
            for (int i = 0; i < columns.size(); i++) {
                if (columns.get(i).name().equals(name)) {
                    return i;
                }
            }
            return -1;
        }
    }

    private final GlobalState global;

    public ShowTables(GlobalState global) {
        this.global = global;
    }

    /**
     * {@code SHOW what} for a lower-case name the console gathers from every loop (pools, stats, stats_totals,
     * databases, lists, ...) or answers for the whole process (version, config). Completes on a loop's thread;
     * fails when the pooler is shutting down.
     */
    public CompletableFuture<Result> show(String what) {
        Table.Merge merge = ShowCommands.merge(what);
        if (merge != null) {
            return EveryLoop.ask(global, m -> new ShowCommands(m).rows(what))
                    .thenApply(parts -> result(Table.merge(parts, merge)));
        }
        if (!what.equals("version") && !what.equals("config")) {
            throw new IllegalArgumentException("no rows for SHOW " + what);
        }
        // Settings are the same on every loop: the first one answers, as the console's own loop does.
        PoolManager first = global.managers().get(0);
        CompletableFuture<Result> done = new CompletableFuture<>();
        try {
            first.execute(() -> {
                try {
                    done.complete(result(new ShowCommands(first).rows(what)));
                } catch (RuntimeException e) {
                    done.completeExceptionally(e);
                }
            });
        } catch (RejectedExecutionException e) {
            done.completeExceptionally(new IllegalStateException("the pooler is shutting down"));
        }
        return done;
    }

    /** Client logins refused with an ErrorResponse so far, by SQLSTATE, over every loop. */
    public Map<String, Long> clientLoginFailures() {
        return global.clientLoginFailures().counts();
    }

    /**
     * Null when some pool can log in to PostgreSQL or none has failed to (see {@link PoolLogins}), else
     * {@code no pool can log in: <the latest login error>}. Completes on a loop's thread; fails when the pooler is
     * shutting down.
     */
    public CompletableFuture<String> whyNoPoolCanLogIn() {
        return PoolLogins.whyNoneCanLogIn(global);
    }

    private static Result result(Table table) {
        List<Column> columns = table.columns().stream()
                .map(c -> new Column(c.name(), c.type() != ResultSetWriter.Type.TEXT)).toList();
        return new Result(columns, List.copyOf(table.rows()));
    }
}
