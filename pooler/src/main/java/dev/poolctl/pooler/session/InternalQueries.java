package dev.poolctl.pooler.session;

import static dev.poolctl.pooler.protocol.PgStreamHandler.DROP;

import dev.poolctl.pooler.protocol.Messages;
import dev.poolctl.pooler.protocol.PgProtocol;
import io.netty.buffer.ByteBuf;
import java.util.List;
import java.util.Map;

/**
 * The queries a server connection runs for the pooler itself, whose answers no client sees: the varcache SET
 * before a client's first request, server_reset_query, server_check_query, and the read-back of unreported
 * settings at the end of a client's transaction (whose ReadyForQuery goes to the client in place of the one its
 * request owed).
 */
final class InternalQueries {
    private final ServerConnection server;
    /** ReadyForQuery messages of the pooler's own queries still to come: swallowed, never forwarded. */
    private int pending;
    /** The parameters being read back for the linked client, or null. */
    private List<String> readback;
    private String[] readbackRow;

    InternalQueries(ServerConnection server) {
        this.server = server;
    }

    /** Answers of the pooler's own queries are still to come: the server's messages are read here. */
    boolean running() {
        return pending > 0;
    }

    /** A query was written: one more ReadyForQuery to swallow. */
    void sent() {
        pending++;
    }

    /** Asks for the values of {@code names} (one row); the client gets them before the server is released. */
    void readBack(List<String> names) {
        readback = names;
        readbackRow = null;
        server.sendInternal(ClientSettings.readbackQuery(names));
    }

    /** The client is gone: a read-back in flight has nobody to tell. */
    void unlinked() {
        readback = null;
        readbackRow = null;
    }

    /** A message answering the pooler's own queries; {@code linked}: a client is linked (the varcache SET). */
    int message(byte type, ByteBuf frame, boolean linked) {
        if (type == PgProtocol.READY_FOR_QUERY) {
            pending--;
            byte status = Messages.readyForQueryStatus(frame);
            if (pending == 0 && !linked) {
                server.internalQueryDone(status);
            } else if (pending == 0 && readback != null) {
                return readbackDone(status);
            } else {
                server.internalStatus(status);
            }
        } else if (type == PgProtocol.DATA_ROW && readback != null) {
            readbackRow = Messages.dataRowTexts(frame);
        } else if (type == PgProtocol.PARAMETER_STATUS) {
            String[] p = Messages.parameterStatus(frame);
            server.parameterReported(p[0], p[1]);
        } else if (type == PgProtocol.COMMAND_COMPLETE && Messages.droppedAllStatements(frame)) {
            server.statements().clear(); // server_reset_query (DISCARD ALL) or a check query that drops them
        } else if (type == PgProtocol.ERROR_RESPONSE) {
            Map<Character, String> e = Messages.errorFields(frame);
            server.internalQueryFailed(e.get('C') + " " + e.get('M'));
        }
        return DROP;
    }

    /** The read-back's ReadyForQuery: store the values, and forward it as the one the client's request owes. */
    private int readbackDone(byte status) {
        List<String> names = readback;
        String[] row = readbackRow;
        readback = null;
        readbackRow = null;
        return server.readbackDone(status, names, row);
    }
}
