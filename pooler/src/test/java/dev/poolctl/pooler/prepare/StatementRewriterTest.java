package dev.poolctl.pooler.prepare;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.pooler.protocol.PgProtocolException;
import dev.poolctl.pooler.stats.PoolStats;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The rewriting of one client's Parse, Bind, Describe and Close for the server it has. */
class StatementRewriterTest {
    private final StatementRegistry registry = new StatementRegistry();
    private final PreparedStatementCache cache = new PreparedStatementCache(registry);
    private final OutstandingRequests requests = new OutstandingRequests();
    private final PoolStats stats = new PoolStats();
    private final List<String> toServer = new ArrayList<>();
    private final List<String> toClient = new ArrayList<>();
    private final List<ByteBuf> frames = new ArrayList<>();
    private int max = 200;

    private final StatementRewriter.Output out = new StatementRewriter.Output() {
        @Override
        public void toServer(ByteBuf message) {
            toServer.add(show(message));
        }

        @Override
        public void toClient(ByteBuf message) {
            toClient.add(show(message));
        }
    };

    @AfterEach
    void release() {
        frames.forEach(ByteBuf::release);
    }

    /** The message as "type name-or-first-fields", releasing it. */
    private static String show(ByteBuf m) {
        try {
            byte[] b = ByteBufUtil.getBytes(m);
            assertEquals(b.length - 1, ByteBuffer.wrap(b, 1, 4).getInt(), "length word");
            String body = new String(b, 5, b.length - 5, StandardCharsets.ISO_8859_1);
            return (char) b[0] + " " + body.replace('\0', '|');
        } finally {
            m.release();
        }
    }

    private StatementRewriter.Link link() {
        return new StatementRewriter.Link(cache, requests, max, stats, UnpooledByteBufAllocator.DEFAULT);
    }

    private ByteBuf frame(char type, byte[] body) {
        ByteBuf f = Unpooled.buffer().writeByte(type).writeInt(body.length + 4).writeBytes(body);
        frames.add(f);
        return f;
    }

    private static byte[] cstrings(String... parts) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (String p : parts) {
            b.writeBytes(p.getBytes(StandardCharsets.UTF_8));
            b.write(0);
        }
        return b.toByteArray();
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            b.writeBytes(p);
        }
        return b.toByteArray();
    }

    private ByteBuf parse(String name, String sql) {
        return frame('P', concat(cstrings(name, sql), new byte[] {0, 0}));
    }

    private ByteBuf bind(String name, byte[] rest) {
        return frame('B', concat(cstrings("portal", name), rest));
    }

    private boolean handle(StatementRewriter r, ByteBuf f) throws Exception {
        return r.handle(f.getByte(0), f, link(), out);
    }

    @Test
    void namedParseIsRenamedAndCountedOnceThenAnsweredByThePoolerWhereTheServerHasIt() throws Exception {
        StatementRewriter one = new StatementRewriter(new ClientStatements(registry), registry);
        StatementRewriter two = new StatementRewriter(new ClientStatements(registry), registry);

        assertEquals(StatementRewriter.REPLACED, handle(one, parse("s1", "SELECT 1")));
        assertEquals(List.of("P PGBOUNCER_1|SELECT 1|||"), toServer);

        requests.onResponse((byte) '1', null); // answered: nothing outstanding now
        assertEquals(StatementRewriter.REPLACED, handle(two, parse("other", "SELECT 1")));
        assertEquals(1, toServer.size(), "not sent again");
        assertEquals(List.of("1 "), toClient, "ParseComplete from the pooler");
        assertEquals(2, stats.clientParseCount);
        assertEquals(1, stats.serverParseCount);
    }

    @Test
    void unnamedStatementsAndPortalsPassUnchanged() throws Exception {
        StatementRewriter r = new StatementRewriter(new ClientStatements(registry), registry);
        assertEquals(StatementRewriter.FORWARD, handle(r, parse("", "SELECT 1")));
        assertEquals(StatementRewriter.FORWARD, handle(r, bind("", new byte[] {0, 0, 0, 0, 0, 0})));
        assertEquals(StatementRewriter.FORWARD, handle(r, frame('D', cstrings("Pportal"))));
        assertEquals(StatementRewriter.FORWARD, handle(r, frame('C', cstrings("S"))));
        assertEquals(List.of(), toServer);
        assertEquals(4, requests.size());
        assertEquals(0, stats.clientParseCount + stats.serverParseCount + stats.bindCount);
    }

    @Test
    void bindOnAServerWithoutTheStatementParsesItFirstAndKeepsTheParameters() throws Exception {
        StatementRewriter r = new StatementRewriter(new ClientStatements(registry), registry);
        handle(r, parse("s1", "SELECT $1"));
        cache.clear(); // another server: it has nothing
        toServer.clear();
        byte[] params = {0, 0, 0, 1, 0, 0, 0, 2, 'h', 'i', 0, 0};

        assertEquals(StatementRewriter.REPLACED, handle(r, bind("s1", params)));

        assertEquals(2, toServer.size());
        assertEquals("P PGBOUNCER_1|SELECT $1|||", toServer.get(0));
        assertEquals("B portal|PGBOUNCER_1|" + new String(params, StandardCharsets.ISO_8859_1).replace('\0', '|'),
                toServer.get(1));
        assertEquals(1, stats.bindCount);
    }

    @Test
    void largeBindParametersGoAlongUncopied() throws Exception {
        StatementRewriter r = new StatementRewriter(new ClientStatements(registry), registry);
        handle(r, parse("s1", "SELECT $1"));
        byte[] value = new byte[5000];
        java.util.Arrays.fill(value, (byte) 'v');
        ByteBuffer rest = ByteBuffer.allocate(2 + 2 + 4 + value.length + 2);
        rest.putShort((short) 0).putShort((short) 1).putInt(value.length).put(value).putShort((short) 0);
        List<ByteBuf> sent = new ArrayList<>();
        StatementRewriter.Output keep = new StatementRewriter.Output() {
            @Override
            public void toServer(ByteBuf message) {
                sent.add(message);
            }

            @Override
            public void toClient(ByteBuf message) {
                message.release();
            }
        };
        ByteBuf bind = bind("s1", rest.array());

        r.handle((byte) 'B', bind, link(), keep);

        ByteBuf rewritten = sent.get(sent.size() - 1);
        byte[] expected = concat(new byte[] {'B', 0, 0, 0, 0}, cstrings("portal", "PGBOUNCER_1"), rest.array());
        ByteBuffer.wrap(expected).putInt(1, expected.length - 1);
        assertArrayEquals(expected, ByteBufUtil.getBytes(rewritten));
        sent.forEach(ByteBuf::release);
        assertEquals(1, bind.refCnt(), "the slice of the original was released with the rewritten message");
    }

    @Test
    void evictionClosesTheLeastRecentlyUsedBeforeParsing() throws Exception {
        max = 2;
        StatementRewriter r = new StatementRewriter(new ClientStatements(registry), registry);
        handle(r, parse("a", "SELECT 'a'"));
        handle(r, parse("b", "SELECT 'b'"));
        handle(r, parse("c", "SELECT 'c'"));

        assertEquals(List.of("P PGBOUNCER_1|SELECT 'a'|||", "P PGBOUNCER_2|SELECT 'b'|||",
                "C SPGBOUNCER_1|", "P PGBOUNCER_3|SELECT 'c'|||"), toServer);
        assertEquals(2, cache.size());
        assertEquals(3, registry.size(), "the client still names all three");
    }

    @Test
    void describeOfANamedStatementIsRenamed() throws Exception {
        StatementRewriter r = new StatementRewriter(new ClientStatements(registry), registry);
        handle(r, parse("s1", "SELECT 1"));
        toServer.clear();
        assertEquals(StatementRewriter.REPLACED, handle(r, frame('D', cstrings("Ss1"))));
        assertEquals(List.of("D SPGBOUNCER_1|"), toServer);
    }

    @Test
    void closeOfANamedStatementOnlyForgetsTheClientsName() throws Exception {
        StatementRewriter r = new StatementRewriter(new ClientStatements(registry), registry);
        handle(r, parse("s1", "SELECT 1"));
        requests.onResponse((byte) '1', null);
        toServer.clear();

        assertEquals(StatementRewriter.REPLACED, handle(r, frame('C', cstrings("Ss1"))));

        assertEquals(List.of(), toServer, "the server keeps it for other clients");
        assertEquals(List.of("3 "), toClient);
        assertEquals(1, cache.size());
        StatementRewriter.StatementError e = assertThrows(StatementRewriter.StatementError.class,
                () -> handle(r, bind("s1", new byte[6])));
        assertEquals("26000", e.sqlState());
        assertEquals("prepared statement 's1' not found", e.logged(), "PgBouncer's log line");
    }

    @Test
    void parseOfANameInUseIsRefused() throws Exception {
        StatementRewriter r = new StatementRewriter(new ClientStatements(registry), registry);
        handle(r, parse("s1", "SELECT 1"));
        StatementRewriter.StatementError e = assertThrows(StatementRewriter.StatementError.class,
                () -> handle(r, parse("s1", "SELECT 2")));
        assertEquals("42P05", e.sqlState());
        assertEquals("prepared statement name is already in use", e.getMessage());
        assertEquals("prepared statement 's1' was already prepared", e.logged(), "PgBouncer's log line");
    }

    @Test
    void malformedMessagesAreProtocolErrors() {
        StatementRewriter r = new StatementRewriter(new ClientStatements(registry), registry);
        assertThrows(PgProtocolException.class, () -> handle(r, frame('P', "no terminator".getBytes())));
        assertThrows(PgProtocolException.class, () -> handle(r, frame('P', cstrings("s1", "SELECT 1"))));
        assertThrows(PgProtocolException.class, () -> handle(r, frame('B', cstrings("portal"))));
        assertThrows(PgProtocolException.class, () -> handle(r, frame('D', new byte[0])));
        assertTrue(toServer.isEmpty());
    }
}
