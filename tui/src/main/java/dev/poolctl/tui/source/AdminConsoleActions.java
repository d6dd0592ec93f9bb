package dev.poolctl.tui.source;

import dev.poolctl.client.AdminClient;

/**
 * Control commands over a connection of their own, so a PAUSE that waits for transactions to finish does not stall
 * the poller's snapshots.
 */
public final class AdminConsoleActions implements ConsoleActions {
    private final AdminSnapshotSource.Connector connector;

    public AdminConsoleActions(AdminSnapshotSource.Connector connector) {
        this.connector = connector;
    }

    @Override
    public String run(String command) throws Exception {
        try (AdminClient c = connector.connect()) {
            AdminClient.Result r = c.query(command);
            StringBuilder answer = new StringBuilder(r.commandTag() == null ? "" : r.commandTag());
            for (String notice : r.notices()) {
                answer.append(answer.length() == 0 ? "" : " - ").append(notice);
            }
            return answer.toString();
        }
    }
}
