package dev.poolctl.pooler.session;

import static dev.poolctl.pooler.protocol.PgStreamHandler.DROP;
import static dev.poolctl.pooler.protocol.PgStreamHandler.FORWARD;

import dev.poolctl.pooler.prepare.OutstandingRequests;
import dev.poolctl.pooler.prepare.PreparedStatementCache;
import dev.poolctl.pooler.prepare.StatementRegistry;
import dev.poolctl.pooler.protocol.BackendMessages;
import dev.poolctl.pooler.protocol.Messages;
import dev.poolctl.pooler.protocol.PgProtocol;
import io.netty.buffer.ByteBuf;

/**
 * A server's side of prepared-statement rewriting (transaction and statement mode, max_prepared_statements): the
 * shared statements it has prepared, and the answers it still owes the linked client's requests, matched one by
 * one so the pooler's own Parse/Close answers are swallowed and the client's skipped ones are made up.
 */
final class ServerStatements implements OutstandingRequests.Effects {
    private final ServerConnection server;
    private final StatementRegistry registry;
    /** The shared statements this server has prepared (only ever filled in transaction/statement mode). */
    private final PreparedStatementCache statements;
    /** The linked client's requests still to be answered, tracked while its statements are rewritten. */
    private final OutstandingRequests requests = new OutstandingRequests();

    ServerStatements(ServerConnection server, StatementRegistry registry) {
        this.server = server;
        this.registry = registry;
        this.statements = new PreparedStatementCache(registry);
    }

    PreparedStatementCache cache() {
        return statements;
    }

    OutstandingRequests requests() {
        return requests;
    }

    /** A server answer while the client's statements are rewritten: match it to the request it answers. */
    int answer(ClientConnection client, byte type, ByteBuf frame) {
        if (type == PgProtocol.COMMAND_COMPLETE && Messages.droppedAllStatements(frame)) {
            // DEALLOCATE ALL / DISCARD ALL: gone on the server, and gone for the client that asked (PgBouncer 1.22).
            statements.clear();
            client.path().clearStatements();
        }
        switch (requests.onResponse(type, this)) {
            case OutstandingRequests.SWALLOW:
                return DROP;
            case OutstandingRequests.OUT_OF_SYNC:
                server.outOfSync("unexpected '" + (char) type + "' from server with " + requests.size()
                        + " requests outstanding");
                return DROP;
            default:
                return FORWARD;
        }
    }

    /**
     * Unlinked (or closed) with answers outstanding: what the server prepared is unknown, so it must not be
     * reused; returns whether that was the case.
     */
    boolean forgetRequests() {
        if (requests.isEmpty()) {
            return false;
        }
        requests.clear(this);
        return true;
    }

    /** The connection is closed: its statements are released. */
    void closed() {
        requests.clear(this);
        statements.clear();
    }

    // ---- what answers to the pooler's own and skipped requests do to the caches ----

    @Override
    public void fake(byte type) {
        server.emitToClient(type == PgProtocol.PARSE_COMPLETE
                ? BackendMessages.parseComplete(server.channel().alloc())
                : BackendMessages.closeComplete(server.channel().alloc()));
    }

    @Override
    public void parseUndone(OutstandingRequests.Request r) {
        if (r.kind() != OutstandingRequests.Kind.PARSE_FAKE) {
            statements.remove(r.statement());
        }
        ClientConnection client = server.linkedClient();
        if (r.clientName() != null && client != null) {
            client.path().parseUndone(r.clientName(), r.statement());
        }
    }

    @Override
    public void closeUndone(OutstandingRequests.Request r) {
        statements.putBack(r.statement());
    }

    @Override
    public void closeDone(OutstandingRequests.Request r) {
        registry.release(r.statement());
    }

    @Override
    public void cacheUncertain() {
        server.markCloseNeeded();
    }
}
