package dev.poolctl.pooler.prepare;

import dev.poolctl.pooler.prepare.OutstandingRequests.Kind;
import dev.poolctl.pooler.protocol.BackendMessages;
import dev.poolctl.pooler.protocol.FrontendMessages;
import dev.poolctl.pooler.protocol.Messages;
import dev.poolctl.pooler.protocol.PgProtocol;
import dev.poolctl.pooler.protocol.PgProtocolException;
import dev.poolctl.pooler.stats.PoolStats;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.charset.StandardCharsets;

/**
 * Rewrites one client's named Parse, Bind, Describe and Close for the server it has now (PgBouncer's
 * prepare.c): client names become the shared {@code PGBOUNCER_<n>} names, a statement the server lacks is
 * Parsed there first, a Parse of a statement the server has is not sent at all, and a Close of a named
 * statement only forgets the client's name. Unnamed statements and portals pass unchanged; every message
 * is recorded in the server's {@link OutstandingRequests} so the answers can be matched.
 */
public final class StatementRewriter {

    /** Where rewritten messages go. */
    public interface Output {
        /** To the server, after what was forwarded before the current message (in its place). */
        void toServer(ByteBuf message);

        /** To the client at once: a faked answer when nothing is outstanding on the server. */
        void toClient(ByteBuf message);
    }

    /** The server side of the link: its cache, its outstanding requests and its pool's limit and counters. */
    public record Link(PreparedStatementCache cache, OutstandingRequests requests, int maxPreparedStatements,
                       PoolStats stats, ByteBufAllocator alloc) {}

    /** A client error PgBouncer answers by closing the client: the pipeline cannot be answered in order. */
    public static final class StatementError extends Exception {
        private final String sqlState;
        private final String logged;

        /** {@code logged}: PgBouncer's log line for it, which names the statement (the client gets {@code message}). */
        StatementError(String sqlState, String message, String logged) {
            super(message, null, false, false);
            this.sqlState = sqlState;
            this.logged = logged;
        }

        public String sqlState() {
            return sqlState;
        }

        public String logged() {
            return logged;
        }
    }

    /** {@link #handle} answer: forward the client's message as it is. */
    public static final boolean FORWARD = true;
    /** {@link #handle} answer: the message was replaced (or answered); drop it. */
    public static final boolean REPLACED = false;

    private final ClientStatements statements;
    private final StatementRegistry registry;

    public StatementRewriter(ClientStatements statements, StatementRegistry registry) {
        this.statements = statements;
        this.registry = registry;
    }

    public ClientStatements statements() {
        return statements;
    }

    /** A Parse, Bind, Describe or Close of the client; {@code frame} starts at the type byte. */
    public boolean handle(byte type, ByteBuf frame, Link link, Output out) throws PgProtocolException, StatementError {
        return switch (type) {
            case PgProtocol.PARSE -> parse(frame, link, out);
            case PgProtocol.BIND -> bind(frame, link, out);
            case PgProtocol.DESCRIBE -> describe(frame, link, out);
            case PgProtocol.CLOSE -> close(frame, link, out);
            default -> throw new IllegalArgumentException("not a statement message: " + (char) type);
        };
    }

    private boolean parse(ByteBuf frame, Link link, Output out) throws PgProtocolException, StatementError {
        int nameStart = frame.readerIndex() + Messages.BODY;
        int nameEnd = Messages.cstringEnd(frame, nameStart);
        if (nameEnd == nameStart) {
            link.requests().add(Kind.PARSE);
            return FORWARD;
        }
        String name = clientName(frame, nameStart, nameEnd);
        int queryEnd = Messages.cstringEnd(frame, nameEnd + 1);
        if (frame.writerIndex() - queryEnd - 1 < 2) {
            throw new PgProtocolException("invalid Parse message format");
        }
        if (statements.inUse(name)) {
            throw new StatementError(PgProtocol.DUPLICATE_PREPARED_STATEMENT,
                    "prepared statement name is already in use", "prepared statement '" + name + "' was already prepared");
        }
        byte[] queryAndTypes = new byte[frame.writerIndex() - nameEnd - 1];
        frame.getBytes(nameEnd + 1, queryAndTypes);
        SharedStatement s = registry.acquire(queryAndTypes);
        statements.put(name, s);
        link.stats().clientParseCount++;
        if (link.cache().use(s)) {
            if (!link.requests().addFake(Kind.PARSE_FAKE, s, name)) {
                out.toClient(BackendMessages.parseComplete(link.alloc()));
            }
            return REPLACED;
        }
        prepareOnServer(s, Kind.PARSE, name, link, out);
        return REPLACED;
    }

    private boolean bind(ByteBuf frame, Link link, Output out) throws PgProtocolException, StatementError {
        int portalStart = frame.readerIndex() + Messages.BODY;
        int portalEnd = Messages.cstringEnd(frame, portalStart);
        int nameEnd = Messages.cstringEnd(frame, portalEnd + 1);
        if (nameEnd == portalEnd + 1) {
            link.requests().add(Kind.BIND);
            return FORWARD;
        }
        SharedStatement s = known(clientName(frame, portalEnd + 1, nameEnd));
        link.stats().bindCount++;
        ensurePrepared(s, link, out);
        link.requests().add(Kind.BIND);
        int portalLength = portalEnd - portalStart;
        int restFrom = nameEnd + 1;
        int rest = frame.writerIndex() - restFrom;
        byte[] newName = s.nameBytes();
        int bodyLength = 4 + portalLength + 1 + newName.length + 1 + rest;
        // Small parameters are copied into the new message; large ones go along as a slice of the original.
        boolean copyRest = rest <= 1024;
        ByteBuf head = link.alloc().buffer(5 + portalLength + 1 + newName.length + 1 + (copyRest ? rest : 0));
        head.writeByte(PgProtocol.BIND).writeInt(bodyLength);
        head.writeBytes(frame, portalStart, portalLength + 1).writeBytes(newName).writeByte(0);
        if (copyRest) {
            head.writeBytes(frame, restFrom, rest);
            out.toServer(head);
        } else {
            out.toServer(link.alloc().compositeBuffer(2)
                    .addComponents(true, head, frame.retainedSlice(restFrom, rest)));
        }
        return REPLACED;
    }

    private boolean describe(ByteBuf frame, Link link, Output out) throws PgProtocolException, StatementError {
        int kindAt = frame.readerIndex() + Messages.BODY;
        if (frame.writerIndex() <= kindAt) {
            throw new PgProtocolException("invalid Describe message format");
        }
        byte kind = frame.getByte(kindAt);
        int nameEnd = Messages.cstringEnd(frame, kindAt + 1);
        if (kind != 'S' || nameEnd == kindAt + 1) {
            link.requests().add(Kind.DESCRIBE);
            return FORWARD; // a portal, or the unnamed statement
        }
        SharedStatement s = known(clientName(frame, kindAt + 1, nameEnd));
        ensurePrepared(s, link, out);
        link.requests().add(Kind.DESCRIBE);
        out.toServer(FrontendMessages.describe(link.alloc(), (byte) 'S', s.name()));
        return REPLACED;
    }

    private boolean close(ByteBuf frame, Link link, Output out) throws PgProtocolException {
        int kindAt = frame.readerIndex() + Messages.BODY;
        if (frame.writerIndex() <= kindAt) {
            throw new PgProtocolException("invalid Close message format");
        }
        byte kind = frame.getByte(kindAt);
        int nameEnd = Messages.cstringEnd(frame, kindAt + 1);
        if (kind != 'S' || nameEnd == kindAt + 1) {
            link.requests().add(Kind.CLOSE);
            return FORWARD;
        }
        // Only the client's name goes: other clients may use the statement, and the server keeps it cached.
        String name = clientName(frame, kindAt + 1, nameEnd);
        statements.close(name);
        if (!link.requests().addFake(Kind.CLOSE_FAKE, null, null)) {
            out.toClient(BackendMessages.closeComplete(link.alloc()));
        }
        return REPLACED;
    }

    private SharedStatement known(String name) throws StatementError {
        SharedStatement s = statements.get(name);
        if (s == null) {
            throw new StatementError(PgProtocol.INVALID_SQL_STATEMENT_NAME, "prepared statement did not exist",
                    "prepared statement '" + name + "' not found");
        }
        statements.used(name); // a name whose Parse was skipped is the client's now: a new Parse is a duplicate
        return s;
    }

    /** Before a Bind or Describe: the server must have the statement; Parse it there first if not. */
    private void ensurePrepared(SharedStatement s, Link link, Output out) {
        if (!link.cache().use(s)) {
            prepareOnServer(s, Kind.PARSE_INJECTED, null, link, out);
        }
    }

    /** Sends Parse of {@code s} under its shared name, Closing the least recently used ones over the limit. */
    private static void prepareOnServer(SharedStatement s, Kind kind, String clientName, Link link, Output out) {
        int max = Math.max(1, link.maxPreparedStatements());
        // Close before Parse: a Parse that fails then cannot leave an evicted statement behind on the server.
        while (link.cache().size() >= max) {
            SharedStatement old = link.cache().evictOldest();
            link.requests().add(Kind.CLOSE_INJECTED, old, null);
            out.toServer(FrontendMessages.close(link.alloc(), (byte) 'S', old.name()));
        }
        link.requests().add(kind, s, clientName);
        link.cache().add(s);
        link.stats().serverParseCount++;
        out.toServer(FrontendMessages.parse(link.alloc(), s.name(), s.queryAndTypes()));
    }

    /** Client names are kept as bytes (Latin-1 maps each byte to one char), whatever the client encoding. */
    private static String clientName(ByteBuf frame, int from, int to) {
        return frame.toString(from, to - from, StandardCharsets.ISO_8859_1);
    }
}
