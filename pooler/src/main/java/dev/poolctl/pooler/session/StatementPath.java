package dev.poolctl.pooler.session;

import static dev.poolctl.pooler.protocol.PgStreamHandler.DROP;
import static dev.poolctl.pooler.protocol.PgStreamHandler.FORWARD;
import static dev.poolctl.pooler.protocol.PgStreamHandler.HOLD;
import static dev.poolctl.pooler.protocol.PgStreamHandler.NEED_BODY;
import static dev.poolctl.pooler.protocol.PgStreamHandler.PASS;

import dev.poolctl.pooler.config.PoolMode;
import dev.poolctl.pooler.hazard.Hazard;
import dev.poolctl.pooler.hazard.StatementScanner;
import dev.poolctl.pooler.pool.Pool;
import dev.poolctl.pooler.pool.PoolManager;
import dev.poolctl.pooler.prepare.ClientStatements;
import dev.poolctl.pooler.prepare.OutstandingRequests;
import dev.poolctl.pooler.prepare.SharedStatement;
import dev.poolctl.pooler.prepare.StatementRewriter;
import dev.poolctl.pooler.protocol.PgProtocol;
import dev.poolctl.pooler.protocol.PgProtocolException;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import java.nio.charset.StandardCharsets;

/**
 * A logged-in client's statement path: what each of its messages means for the linked server. Requests that owe a
 * ReadyForQuery are counted, Query and Parse texts are scanned for hazards and setting changes (transaction and
 * statement mode), and named prepared statements are rewritten (max_prepared_statements). Everything else passes
 * as bytes. Made when the client joins its pool; runs only while a server is linked.
 */
final class StatementPath implements StatementScanner.Parameters, StatementRewriter.Output {
    /**
     * Queries and Parses longer than this are not scanned (they stream through): bulk loads, not session
     * settings, and a text we must see whole is held in memory.
     */
    private static final int SCAN_LIMIT = 64 * 1024;

    private final ClientConnection client;
    private final ChannelHandlerContext ctx;
    private final PoolManager manager;
    private final Pool pool;
    /** Query and Parse texts are scanned for hazards and setting changes (transaction and statement mode). */
    private final boolean scanStatements;
    /** Named prepared statements are rewritten (transaction/statement mode, max_prepared_statements > 0). */
    private final boolean rewrites;
    /**
     * Rewrites them; made at the first message it handles, so that a client that never prepares a statement
     * (most idle ones) holds no rewriter and no statement map. Null while {@link #rewrites} is false.
     */
    private StatementRewriter rewriter;
    /** Hazards already logged for this client: each kind is logged once per client. */
    private int hazardsLogged;
    /**
     * A scanned text opened a transaction block the server has not yet confirmed with ReadyForQuery (pgjdbc sends
     * BEGIN in the same pipeline as the first statement); cleared when the block ends or the server is released.
     */
    private boolean blockBegun;
    /** disable_pqexec (read at start, as in PgBouncer): a Query message closes the client. */
    private final boolean pqexecDisallowed;
    /** Syncs sent since the last Execute or Query: the ones a server in copy-in ignores (see copyEndedByClient). */
    private int syncsSinceCommand;

    StatementPath(ClientConnection client, ChannelHandlerContext ctx, PoolManager manager, Pool pool) {
        this.client = client;
        this.ctx = ctx;
        this.manager = manager;
        this.pool = pool;
        // A replication client has its server for life (session semantics whatever the pool_mode): nothing to scan.
        boolean pooled = client.settings().replication() == dev.poolctl.pooler.pool.Replication.NONE;
        this.scanStatements = pooled && pool.mode() != PoolMode.SESSION;
        this.rewrites = pooled && pool.rewritesPreparedStatements();
        this.pqexecDisallowed = manager.config().general().boolValue(dev.poolctl.pooler.config.Setting.DISABLE_PQEXEC);
    }

    private boolean scans(int length) {
        return scanStatements && length <= SCAN_LIMIT;
    }

    /** A message header while linked to {@code server}: pass its bytes on, or read its body first. */
    int classify(ServerConnection server, byte type, int length) {
        switch (type) {
            case PgProtocol.QUERY -> {
                if (pqexecDisallowed) {
                    // PgBouncer's words: the simple protocol allows several statements in one message (SQL injection)
                    manager.log().error(client.prefix() + " client used \"Query\" packet type");
                    client.fail(PgProtocol.PROTOCOL_VIOLATION, "PQexec disallowed");
                    return HOLD;
                }
                syncsSinceCommand = 0; // idempotent: classify may see a split Query again
                if (scans(length)) {
                    return NEED_BODY; // counted as a request in message(): classify may run again on a split message
                }
                expectReadyForQuery(server);
                if (rewrites) {
                    server.requests().mayDropStatements(); // not scanned: it could hold a DISCARD ALL
                }
                return PASS;
            }
            case PgProtocol.SYNC, PgProtocol.FUNCTION_CALL -> {
                syncsSinceCommand = type == PgProtocol.SYNC ? syncsSinceCommand + 1 : 0;
                expectReadyForQuery(server);
                return PASS;
            }
            case PgProtocol.TERMINATE -> {
                return NEED_BODY;
            }
            case PgProtocol.PARSE -> {
                return rewrites || scans(length) ? NEED_BODY : PASS;
            }
            case PgProtocol.BIND, PgProtocol.DESCRIBE, PgProtocol.CLOSE -> {
                return rewrites ? NEED_BODY : PASS;
            }
            case PgProtocol.COPY_DONE, PgProtocol.COPY_FAIL -> {
                server.copyEndedByClient(syncsSinceCommand);
                syncsSinceCommand = 0;
                return PASS;
            }
            case PgProtocol.EXECUTE -> {
                syncsSinceCommand = 0;
                if (rewrites) {
                    server.requests().add(OutstandingRequests.Kind.EXECUTE);
                }
                return PASS;
            }
            default -> {
                return PASS;
            }
        }
    }

    /** A whole message classify asked to see (the client is linked to {@code server}). */
    int message(ServerConnection server, byte type, ByteBuf frame) {
        if (type == PgProtocol.TERMINATE) {
            client.close("client close request");
            return DROP;
        }
        if (type == PgProtocol.QUERY) {
            expectReadyForQuery(server);
            scan(server, frame, frame.readerIndex() + 5);
            return FORWARD;
        }
        if (type == PgProtocol.PARSE && scanStatements) {
            int nameEnd = frame.indexOf(frame.readerIndex() + 5, frame.writerIndex(), (byte) 0);
            if (nameEnd >= 0) {
                scan(server, frame, nameEnd + 1);
            }
            if (!rewrites) {
                return FORWARD;
            }
        }
        return statementMessage(server, type, frame);
    }

    /** A Query, Sync or FunctionCall: the server answers it with ReadyForQuery. */
    private void expectReadyForQuery(ServerConnection server) {
        server.expectReadyForQuery();
        if (rewrites) {
            server.requests().add(OutstandingRequests.Kind.SYNC);
        }
    }

    /** The server went back to the pool: a block the scanner saw begin is over. */
    void released() {
        blockBegun = false;
    }

    // ---- hazards and setting changes (transaction and statement mode) ----

    // What the scanner needs to know about parameters: tracked by the pooler, and reported by the server. Methods
    // of this class rather than an anonymous object: one object less per client.

    @Override
    public boolean isTracked(String name) {
        return ClientSettings.carried(name, manager, pool);
    }

    @Override
    public boolean needsReadback(String name) {
        return manager.isTrackedParameter(name) && !pool.welcome().isReported(name);
    }

    /** Hazard.values() copies its array on every call; BEGIN and END come here on every transaction. */
    private static final Hazard[] HAZARDS = Hazard.values();

    /** Scans the SQL text of a Query or Parse that starts at {@code from} (up to its NUL terminator). */
    private void scan(ServerConnection server, ByteBuf frame, int from) {
        int end = frame.indexOf(from, frame.writerIndex(), (byte) 0);
        if (end < 0) {
            end = frame.writerIndex();
        }
        boolean inTransaction = blockBegun || server.txStatus() != PgProtocol.TX_IDLE;
        int found = StatementScanner.scan(frame, from, end, inTransaction, this);
        if (found == 0) {
            return;
        }
        if ((found & StatementScanner.BLOCK_BEGUN) != 0) {
            blockBegun = true;
        } else if ((found & StatementScanner.BLOCK_ENDED) != 0) {
            blockBegun = false;
        }
        if ((found & StatementScanner.SETTINGS_CHANGED) != 0) {
            client.settings().markReadbackNeeded();
        }
        if ((found & StatementScanner.DROPS_STATEMENTS) != 0) {
            server.requests().mayDropStatements();
        }
        for (Hazard h : HAZARDS) {
            if ((found & h.bit()) != 0) {
                pool.countHazard(h);
                if ((hazardsLogged & h.bit()) == 0) {
                    hazardsLogged |= h.bit();
                    manager.log().log(client.prefix() + " " + h.statement() + " in " + pool.mode()
                            + " pooling mode: the next transaction may run on another server");
                }
            }
        }
    }

    // ---- prepared statements (transaction and statement mode) ----

    /** A Parse, Bind, Describe or Close while the statements are rewritten (classify asks only for those). */
    private int statementMessage(ServerConnection server, byte type, ByteBuf frame) {
        if (rewriter == null) {
            rewriter = new StatementRewriter(new ClientStatements(pool.statementRegistry()), pool.statementRegistry());
        }
        try {
            StatementRewriter.Link link = new StatementRewriter.Link(server.statements(), server.requests(),
                    pool.maxPreparedStatements(), pool.stats(), ctx.alloc());
            return rewriter.handle(type, frame, link, this) == StatementRewriter.FORWARD ? FORWARD : DROP;
        } catch (PgProtocolException e) {
            client.fail(PgProtocol.PROTOCOL_VIOLATION, e.getMessage());
        } catch (StatementRewriter.StatementError e) {
            manager.log().warning(client.prefix() + " " + e.logged() + ": " + describeStatement(type, frame));
            client.fail(e.sqlState(), e.getMessage());
        }
        return DROP;
    }

    private static String describeStatement(byte type, ByteBuf frame) {
        int end = Math.min(frame.writerIndex(), frame.readerIndex() + 80);
        return "'" + (char) type + "' " + frame.toString(frame.readerIndex() + 5, end - frame.readerIndex() - 5,
                StandardCharsets.ISO_8859_1).replace('\0', ' ').strip();
    }

    // The rewriter's output (StatementRewriter.Output), as methods for the same reason as isTracked.

    @Override
    public void toServer(ByteBuf message) {
        client.emitToServer(message);
    }

    @Override
    public void toClient(ByteBuf message) {
        ClientOutput.reply(ctx, message);
    }

    /** Whether this client's named statements are rewritten: its server must match answers to requests. */
    boolean rewritesStatements() {
        return rewrites;
    }

    /** The server ran DEALLOCATE ALL or DISCARD ALL for this client (and at close: its statements go). */
    void clearStatements() {
        if (rewriter != null) {
            rewriter.statements().clear();
        }
    }

    /** A Parse of this client that the server never carried out. */
    void parseUndone(String name, SharedStatement s) {
        if (rewriter != null) {
            rewriter.statements().undone(name, s);
        }
    }

    /** SHOW CLIENTS prepared_statements. */
    int preparedStatementCount() {
        return rewriter == null ? 0 : rewriter.statements().size();
    }
}
