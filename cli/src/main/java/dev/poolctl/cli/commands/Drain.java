package dev.poolctl.cli.commands;

import dev.poolctl.cli.ExitCodes;
import dev.poolctl.client.AdminClient;
import dev.poolctl.client.AdminException;
import dev.poolctl.pooler.config.GeneralSettings;
import dev.poolctl.pooler.config.Setting;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code poolctl drain}: the console's DRAIN (poolctl's own), then its progress until the pooler exits. The pooler
 * closing this connection is the end of the drain.
 */
@Command(name = "drain")
public final class Drain extends AdminCommand {
    private static final long POLL_MILLIS = 1_000;
    /** Past the deadline the pooler closes everyone within a janitor tick; this much more means it is stuck. */
    private static final Duration GRACE = Duration.ofSeconds(10);

    static final class Deadline {
        @Option(names = "--deadline", paramLabel = "DURATION", converter = DurationConverter.class)
        Duration deadline;

        @Option(names = "--no-deadline")
        boolean none;
    }

    @ArgGroup(exclusive = true, multiplicity = "0..1")
    Deadline deadline;

    @Option(names = "--no-wait")
    boolean noWait;

    @Option(names = {"-q", "--quiet"})
    boolean quiet;

    @Override
    protected int defaultTimeoutSeconds() {
        return 30;
    }

    private String sql() {
        if (deadline == null) {
            return "DRAIN";
        }
        return deadline.none ? "DRAIN 0" : "DRAIN " + Math.max(1, (deadline.deadline.toMillis() + 999) / 1000);
    }

    @Override
    protected int run(AdminClient client) throws IOException, AdminException, InterruptedException {
        long started = System.nanoTime();
        Duration grace = acceptGrace(client);
        int timeout = resolved.readTimeoutMillis(defaultTimeoutSeconds());
        if (!grace.isZero()) {
            say("accepting new clients for " + seconds(grace) + " more (drain_accept_grace) while /readyz answers 503");
        }
        // answered once the pooler no longer listens on TCP: after the grace
        client.query(sql(), timeout == 0 ? 0 : (int) Math.min(Integer.MAX_VALUE, timeout + grace.toMillis()));
        if (noWait) {
            say("DRAIN");
            return ExitCodes.OK;
        }
        Duration limit = deadline == null ? null : deadline.none ? Duration.ZERO : deadline.deadline;
        String last = null;
        long lastPrinted = 0;
        while (true) {
            Progress p;
            try {
                AdminClient.Result pools = client.query("SHOW POOLS");
                p = Progress.of(pools.rows(), pools.columns());
            } catch (IOException closed) {
                say("drained: the pooler has exited");
                return ExitCodes.OK;
            }
            long elapsed = System.nanoTime() - started;
            String line = p.describe() + countdown(limit, elapsed);
            if (!line.equals(last) || System.nanoTime() - lastPrinted > 5_000_000_000L) {
                say(line);
                last = line;
                lastPrinted = System.nanoTime();
            }
            if (limit != null && !limit.isZero() && elapsed > limit.plus(GRACE).toNanos()) {
                err().println("poolctl drain: the pooler has not exited " + GRACE.toSeconds()
                        + "s after the deadline (" + p.describe() + ")");
                return ExitCodes.ERROR;
            }
            Thread.sleep(POLL_MILLIS);
        }
    }

    /** drain_accept_grace from SHOW CONFIG; zero when it is not set, or the pooler does not have it. */
    static Duration acceptGrace(AdminClient client) throws IOException, AdminException {
        AdminClient.Result config = client.query("SHOW CONFIG");
        int key = config.columns().indexOf("key");
        int value = config.columns().indexOf("value");
        for (List<String> row : config.rows()) {
            if (key >= 0 && value >= 0 && "drain_accept_grace".equals(row.get(key)) && row.get(value) != null) {
                try { // the pooler's own parser: SHOW CONFIG shows what it took
                    return GeneralSettings.of(Map.of(Setting.DRAIN_ACCEPT_GRACE, row.get(value)))
                            .durationValue(Setting.DRAIN_ACCEPT_GRACE);
                } catch (IllegalArgumentException e) {
                    return Duration.ZERO; // not a poolctl of ours: no grace to wait for
                }
            }
        }
        return Duration.ZERO;
    }

    private static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() / 1000.0 + "s";
    }

    private static String countdown(Duration limit, long elapsedNanos) {
        if (limit == null || limit.isZero()) {
            return "";
        }
        long left = Math.max(0, (limit.toNanos() - elapsedNanos) / 1_000_000_000L);
        return ", deadline in " + left + "s";
    }

    private void say(String line) {
        if (!quiet) {
            out().println(line);
            out().flush();
        }
    }

    /** Clients not yet closed and servers still in a transaction, over every pool but the console's. */
    record Progress(int clients, int serversActive) {
        static Progress of(List<List<String>> rows, List<String> columns) {
            int db = columns.indexOf("database");
            int active = columns.indexOf("cl_active");
            int waiting = columns.indexOf("cl_waiting");
            int svActive = columns.indexOf("sv_active");
            int clients = 0;
            int servers = 0;
            for (List<String> row : rows) {
                if ("pgbouncer".equals(row.get(db))) {
                    continue;
                }
                clients += Integer.parseInt(row.get(active)) + Integer.parseInt(row.get(waiting));
                servers += Integer.parseInt(row.get(svActive));
            }
            return new Progress(clients, servers);
        }

        String describe() {
            return "draining: " + clients + " client" + (clients == 1 ? "" : "s") + " left, " + serversActive
                    + " server" + (serversActive == 1 ? "" : "s") + " active";
        }
    }
}
