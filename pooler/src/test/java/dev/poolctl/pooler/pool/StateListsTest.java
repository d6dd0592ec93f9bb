package dev.poolctl.pooler.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** The state lists and the two edge tables, with plain strings as the connections. */
class StateListsTest {
    private final StateLists<ServerState, String> servers =
            new StateLists<>(ServerState.class, ServerState.CLOSED, ServerState::canBecome);

    private StateEntry<ServerState, String> server(String name, ServerState state, long now) {
        StateEntry<ServerState, String> e = new StateEntry<>(name, state, now);
        servers.enter(e);
        return e;
    }

    @Test
    void moveAppendsMoveFirstPrependsAndSizesFollow() {
        var a = server("a", ServerState.LOGIN, 1);
        var b = server("b", ServerState.LOGIN, 2);
        var c = server("c", ServerState.LOGIN, 3);
        assertEquals(List.of("a", "b", "c"), servers.list(ServerState.LOGIN), "enter appends");
        assertEquals(1, servers.firstSince(ServerState.LOGIN));

        servers.move(b, ServerState.IDLE, 10);
        servers.move(a, ServerState.IDLE, 11);
        assertEquals(List.of("b", "a"), servers.list(ServerState.IDLE), "move appends");
        servers.moveFirst(c, ServerState.IDLE, 12);
        assertEquals(List.of("c", "b", "a"), servers.list(ServerState.IDLE), "moveFirst prepends");
        assertEquals("c", servers.first(ServerState.IDLE));
        assertEquals("a", servers.last(ServerState.IDLE));
        assertEquals(12, servers.firstSince(ServerState.IDLE), "the first entry's time, not the oldest move's");
        assertEquals(12, c.sinceNanos());
        assertEquals(3, servers.size(ServerState.IDLE));
        assertEquals(0, servers.size(ServerState.LOGIN));
        assertTrue(servers.isEmpty(ServerState.LOGIN));
        assertNull(servers.first(ServerState.LOGIN));
        assertEquals(-1, servers.firstSince(ServerState.LOGIN));

        // Out of the middle, then the ends: the neighbours stay linked.
        servers.move(b, ServerState.ACTIVE, 13);
        assertEquals(List.of("c", "a"), servers.list(ServerState.IDLE));
        servers.move(c, ServerState.ACTIVE, 14);
        servers.move(a, ServerState.TESTED, 15);
        assertEquals(List.of(), servers.list(ServerState.IDLE));
        assertNull(servers.last(ServerState.IDLE));
        assertEquals(List.of("b", "c"), servers.list(ServerState.ACTIVE));
        servers.moveFirst(a, ServerState.ACTIVE, 16);
        assertEquals(List.of("a", "b", "c"), servers.list(ServerState.ACTIVE));
        assertEquals(3, servers.size(ServerState.ACTIVE));
        assertEquals(0, servers.size(ServerState.TESTED));
    }

    @Test
    void anIllegalMoveThrowsAndLeavesTheEntryWhereItWas() {
        var a = server("a", ServerState.LOGIN, 1);
        var b = server("b", ServerState.LOGIN, 2);
        var c = server("c", ServerState.LOGIN, 3);
        assertThrows(IllegalStateException.class, () -> servers.move(b, ServerState.ACTIVE, 9),
                "a server still logging in cannot be linked");
        assertThrows(IllegalStateException.class, () -> servers.moveFirst(b, ServerState.USED, 9));
        assertEquals(ServerState.LOGIN, b.state());
        assertEquals(2, b.sinceNanos(), "the failed move did not restart its clock");
        assertEquals(List.of("a", "b", "c"), servers.list(ServerState.LOGIN), "same place in the same list");
        assertEquals(3, servers.size(ServerState.LOGIN));
        assertEquals(0, servers.size(ServerState.ACTIVE));
        servers.move(a, ServerState.IDLE, 4);
        assertEquals(List.of("b", "c"), servers.list(ServerState.LOGIN), "and the list still works");
    }

    @Test
    void enteringTwiceThrows() {
        var a = server("a", ServerState.LOGIN, 1);
        assertThrows(IllegalStateException.class, () -> servers.enter(a));
        assertEquals(1, servers.size(ServerState.LOGIN));
    }

    @Test
    void anEntryMovesFromOneInstanceToAnother() {
        StateLists<ClientState, String> login = new StateLists<>(ClientState.class, ClientState.CLOSED, ClientState::canBecome);
        StateLists<ClientState, String> pool = new StateLists<>(ClientState.class, ClientState.CLOSED, ClientState::canBecome);
        var x = new StateEntry<>("x", ClientState.STARTUP, 1);
        var y = new StateEntry<>("y", ClientState.STARTUP, 1);
        var z = new StateEntry<>("z", ClientState.STARTUP, 1);
        login.enter(x);
        login.enter(y);
        login.enter(z);
        login.move(y, ClientState.AUTH, 2);

        pool.move(y, ClientState.LOGIN_WAIT, 3); // the pool's lists take it from the manager's
        assertEquals(0, login.size(ClientState.AUTH), "it left the manager's lists");
        assertEquals(List.of("y"), pool.list(ClientState.LOGIN_WAIT));
        assertSame(pool, y.lists);

        pool.move(x, ClientState.LOGIN_WAIT, 4);
        assertEquals(List.of("z"), login.list(ClientState.STARTUP), "the entry before it left cleanly too");
        assertEquals(List.of("y", "x"), pool.list(ClientState.LOGIN_WAIT));
        pool.move(y, ClientState.IDLE, 5);
        assertEquals(List.of("x"), pool.list(ClientState.LOGIN_WAIT));
        assertEquals(1, login.size(ClientState.STARTUP));
    }

    @Test
    void theTerminalStateLeavesTheListsForGood() {
        var a = server("a", ServerState.LOGIN, 1);
        var b = server("b", ServerState.LOGIN, 2);
        var c = server("c", ServerState.LOGIN, 3);
        servers.move(b, ServerState.CLOSED, 5);
        assertEquals(ServerState.CLOSED, b.state());
        assertNull(b.lists, "in no list");
        assertEquals(List.of("a", "c"), servers.list(ServerState.LOGIN));
        assertEquals(0, servers.size(ServerState.CLOSED), "the terminal state has no list");
        assertEquals(List.of(), servers.list(ServerState.CLOSED));
        for (ServerState to : ServerState.values()) {
            assertThrows(IllegalStateException.class, () -> servers.move(b, to, 6), "closed -> " + to);
        }
        assertEquals(List.of("a", "c"), servers.list(ServerState.LOGIN));
        servers.move(a, ServerState.CLOSED, 7);
        servers.move(c, ServerState.CLOSED, 7);
        for (ServerState s : ServerState.values()) {
            assertEquals(0, servers.size(s), s.name());
        }
    }

    // ---- the edge tables ----

    /** PgBouncer's state changes as poolctl allows them: a changed table must be a deliberate change here too. */
    private static final Set<String> CLIENT_EDGES = Set.of(
            "STARTUP>AUTH", "STARTUP>LOGIN_WAIT", "STARTUP>ADMIN", "STARTUP>CANCEL", "STARTUP>CLOSED",
            "AUTH>LOGIN_WAIT", "AUTH>ADMIN", "AUTH>CLOSED",
            "LOGIN_WAIT>IDLE", "LOGIN_WAIT>CLOSED",
            "IDLE>ACTIVE", "IDLE>WAITING", "IDLE>CLOSED",
            "WAITING>ACTIVE", "WAITING>CLOSED",
            "ACTIVE>IDLE", "ACTIVE>CLOSED",
            "ADMIN>CLOSED",
            "CANCEL>CLOSED");

    private static final Set<String> SERVER_EDGES = Set.of(
            "LOGIN>IDLE", "LOGIN>CLOSED",
            "IDLE>ACTIVE", "IDLE>TESTED", "IDLE>CLOSED",
            "ACTIVE>IDLE", "ACTIVE>USED", "ACTIVE>BEING_CANCELED", "ACTIVE>CLOSED",
            "USED>IDLE", "USED>CLOSED",
            "TESTED>IDLE", "TESTED>ACTIVE", "TESTED>CLOSED",
            "BEING_CANCELED>IDLE", "BEING_CANCELED>USED", "BEING_CANCELED>CLOSED");

    @Test
    void theClientEdgeTableIsExactlyTheExpectedOne() {
        Set<String> actual = new TreeSet<>();
        for (ClientState from : ClientState.values()) {
            for (ClientState to : ClientState.values()) {
                if (from.canBecome(to)) {
                    actual.add(from + ">" + to);
                }
            }
        }
        assertEquals(new TreeSet<>(CLIENT_EDGES), actual);
    }

    @Test
    void theServerEdgeTableIsExactlyTheExpectedOne() {
        Set<String> actual = new TreeSet<>();
        for (ServerState from : ServerState.values()) {
            for (ServerState to : ServerState.values()) {
                if (from.canBecome(to)) {
                    actual.add(from + ">" + to);
                }
            }
        }
        assertEquals(new TreeSet<>(SERVER_EDGES), actual);
    }

    @Test
    void everyClientEdgeWorksAndEveryOtherThrows() {
        checkEveryPair(ClientState.class, ClientState.CLOSED, ClientState::canBecome);
    }

    @Test
    void everyServerEdgeWorksAndEveryOtherThrows() {
        checkEveryPair(ServerState.class, ServerState.CLOSED, ServerState::canBecome);
    }

    @Test
    void aFewForbiddenMovesThrow() {
        StateLists<ClientState, String> clients =
                new StateLists<>(ClientState.class, ClientState.CLOSED, ClientState::canBecome);
        var waiting = new StateEntry<>("w", ClientState.WAITING, 0);
        clients.enter(waiting);
        assertThrows(IllegalStateException.class, () -> clients.move(waiting, ClientState.IDLE, 1),
                "a queued client leaves the queue only by getting a server or closing");
        var idle = new StateEntry<>("i", ClientState.IDLE, 0);
        clients.enter(idle);
        assertThrows(IllegalStateException.class, () -> clients.move(idle, ClientState.IDLE, 1), "no self edge");
        assertThrows(IllegalStateException.class, () -> clients.move(idle, ClientState.LOGIN_WAIT, 1));
        var admin = new StateEntry<>("a", ClientState.ADMIN, 0);
        clients.enter(admin);
        assertThrows(IllegalStateException.class, () -> clients.move(admin, ClientState.WAITING, 1),
                "console clients never queue for a server");

        var used = server("u", ServerState.USED, 0);
        assertThrows(IllegalStateException.class, () -> servers.move(used, ServerState.ACTIVE, 1),
                "a server running its reset query is not handed out");
        var idleServer = server("s", ServerState.IDLE, 0);
        assertThrows(IllegalStateException.class, () -> servers.move(idleServer, ServerState.BEING_CANCELED, 1));
        assertThrows(IllegalStateException.class, () -> servers.move(idleServer, ServerState.LOGIN, 1));
        assertEquals(ServerState.IDLE, idleServer.state());
        assertEquals(ClientState.WAITING, waiting.state());
    }

    /** For every (from, to): a fresh entry in {@code from} moves to {@code to} iff the table allows it. */
    private static <S extends Enum<S>> void checkEveryPair(Class<S> type, S terminal,
                                                           java.util.function.BiPredicate<S, S> edges) {
        List<String> wrong = new ArrayList<>();
        int allowed = 0;
        for (S from : type.getEnumConstants()) {
            if (from == terminal) {
                continue; // nothing leaves it: checked in theTerminalStateLeavesTheListsForGood
            }
            for (S to : type.getEnumConstants()) {
                StateLists<S, String> lists = new StateLists<>(type, terminal, edges);
                StateEntry<S, String> e = new StateEntry<>("x", from, 0);
                lists.enter(e);
                boolean moved;
                try {
                    lists.move(e, to, 1);
                    moved = true;
                } catch (IllegalStateException refused) {
                    moved = false;
                }
                if (moved != edges.test(from, to)) {
                    wrong.add(from + ">" + to + (moved ? " moved" : " refused"));
                }
                if (moved) {
                    allowed++;
                    assertEquals(to, e.state());
                    assertEquals(to == terminal ? 0 : 1, lists.size(to));
                    if (from != to) {
                        assertEquals(0, lists.size(from));
                    }
                } else {
                    assertEquals(from, e.state());
                    assertEquals(1, lists.size(from));
                    assertEquals(0, e.sinceNanos());
                }
            }
        }
        assertTrue(wrong.isEmpty(), "moves that disagree with the table: " + wrong);
        assertTrue(allowed > 0);
        assertFalse(edges.test(terminal, terminal));
    }
}
