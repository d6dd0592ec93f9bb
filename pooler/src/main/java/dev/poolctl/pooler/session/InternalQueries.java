package dev.poolctl.pooler.session;

import static dev.poolctl.pooler.protocol.PgStreamHandler.DROP;
import static dev.poolctl.pooler.protocol.PgStreamHandler.FORWARD;
import static dev.poolctl.pooler.protocol.PgStreamHandler.FORWARD_AND_CUT;

import dev.poolctl.pooler.protocol.Messages;
import dev.poolctl.pooler.protocol.PgProtocol;
import io.netty.buffer.ByteBuf;
import java.util.List;
import java.util.Map;

/**
 * The queries a server connection runs for the pooler itself, whose answers no client sees: the varcache SET
 * before a client's first request, server_reset_query, server_check_query, and the read-back of unreported
 * settings at the end of a client's transaction (whose ReadyForQuery goes to the client in place of the one its
 * request owed), and the auth_query of a client that is logging in.
 */
final class InternalQueries {
    private final ServerConnection server;
    /** ReadyForQuery messages of the pooler's own queries still to come: swallowed, never forwarded. */
    private int pending;
    /** The parameters being read back for the linked client, or null. */
    private List<String> readback;
    private String[] readbackRow;
    /** The login whose auth_query runs, or null; and the row it returned so far. */
    private AuthQueryClient authQuery;
    private String[] authRow;
    /** The answer could not be used: the server is closing, and whatever else it says is ignored. */
    private boolean authFailed;

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

    /** The login whose auth_query this server runs, or null. */
    AuthQueryClient authQueryClient() {
        return authQuery;
    }

    /** Runs {@code login}'s auth_query (the server is ACTIVE, linked to it). */
    void authQuery(AuthQueryClient login) {
        authQuery = login;
        authRow = null;
        authFailed = false;
        sent();
        server.sendAuthQuery(login.query(), login.user());
    }

    /**
     * At the end of a transaction that may have changed a tracked parameter the server does not report (SET
     * search_path before PostgreSQL 18), asks the server for the values before it is released: what the client
     * gets on its next server. Right after ROLLBACK, SET LOCAL or a function's set_config, with no SQL parsing.
     * False when nothing needs reading.
     */
    boolean startReadback(ClientConnection client) {
        List<String> names = client.settingsToReadBack();
        if (names.isEmpty()) {
            if (client.settingsReadbackPending()) {
                client.settingsReadBack(names, null);
            }
            return false;
        }
        readBack(names);
        return true;
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
        authQuery = null;
        authRow = null;
    }

    /** A message answering the pooler's own queries; {@code linked}: a client is linked (the varcache SET). */
    int message(byte type, ByteBuf frame, boolean linked) {
        if (authQuery != null) {
            return authQueryMessage(type, frame);
        }
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
        server.internalStatus(status);
        ClientConnection client = server.linkedClient();
        if (client == null) {
            return DROP;
        }
        if (row != null) {
            for (int i = 0; i < names.size() && i < row.length; i++) {
                if (row[i] != null) {
                    server.param(names.get(i), row[i]);
                }
            }
        }
        client.settingsReadBack(names, row);
        return server.pool().releasableAt(server) ? FORWARD_AND_CUT : FORWARD;
    }

    /**
     * The auth_query's answer, as PgBouncer reads it: rows of (user name, password), the last one counting; an error
     * or any other shape closes the server, and the login is told "bouncer config error".
     */
    private int authQueryMessage(byte type, ByteBuf frame) {
        if (authFailed) {
            return DROP;
        }
        switch (type) {
            case PgProtocol.DATA_ROW -> {
                String[] row = Messages.dataRowTexts(frame);
                if (row.length != 2) {
                    authQueryFailed("expected 2 columns from auth_query, not " + row.length);
                } else if (row[0] == null) {
                    authQueryFailed("auth_query response contained null user name");
                } else {
                    authRow = row;
                }
            }
            case PgProtocol.READY_FOR_QUERY -> {
                pending--;
                server.internalStatus(Messages.readyForQueryStatus(frame));
                AuthQueryClient login = authQuery;
                authQuery = null;
                login.answered(authRow);
                authRow = null;
            }
            case PgProtocol.ERROR_RESPONSE -> {
                Map<Character, String> e = Messages.errorFields(frame);
                authQueryFailed("error in auth_query: " + e.get('S') + ": " + e.get('M'));
            }
            case PgProtocol.PARAMETER_STATUS -> {
                String[] p = Messages.parameterStatus(frame);
                server.parameterReported(p[0], p[1]);
            }
            case PgProtocol.PARSE_COMPLETE, PgProtocol.BIND_COMPLETE, PgProtocol.COMMAND_COMPLETE,
                    PgProtocol.NOTICE_RESPONSE -> { }
            default -> authQueryFailed("unexpected response from auth_query: '" + (char) type + "'");
        }
        return DROP;
    }

    /**
     * The login is told at once, before the server's close: with io_uring a close completes later, so the rest of
     * the answer (its ReadyForQuery) may still be read, and must not pass for "no such row".
     */
    private void authQueryFailed(String why) {
        authFailed = true;
        authQuery.fail(PgProtocol.PROTOCOL_VIOLATION, why);
        server.authQueryFailed(why);
    }
}
