package dev.poolctl.pooler.pool;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BiPredicate;

/**
 * One list per state, as PgBouncer's PgPool: a connection's state is the list it sits in, and {@link #move} is the
 * only way it changes (PgBouncer's change_client_state/change_server_state). A move the edge table does not allow
 * throws. The lists are intrusive (the links live in each {@link StateEntry}), so a move is O(1) and allocates
 * nothing; an entry may move here from another instance (a client goes from the manager's login lists to its
 * pool's). The terminal state has no list: an entry moved there leaves the lists for good. Confined to one loop.
 */
final class StateLists<S extends Enum<S>, T> {
    private final BiPredicate<S, S> edges;
    private final S terminal;
    private final StateEntry<S, T>[] first;
    private final StateEntry<S, T>[] last;
    private final int[] size;

    @SuppressWarnings("unchecked")
    StateLists(Class<S> states, S terminal, BiPredicate<S, S> edges) {
        int n = states.getEnumConstants().length;
        this.edges = edges;
        this.terminal = terminal;
        this.first = new StateEntry[n];
        this.last = new StateEntry[n];
        this.size = new int[n];
    }

    static StateLists<ClientState, PoolClient> clients() {
        return new StateLists<>(ClientState.class, ClientState.CLOSED, ClientState::canBecome);
    }

    static StateLists<ServerState, PoolServer> servers() {
        return new StateLists<>(ServerState.class, ServerState.CLOSED, ServerState::canBecome);
    }

    /** Puts a connection not in any list (new, or from another loop) at the end of its state's list. */
    void enter(StateEntry<S, T> e) {
        if (e.lists != null) {
            throw new IllegalStateException(e.owner + " is already listed as " + e.state);
        }
        link(e, e.state, false);
    }

    /**
     * Takes a connection out of these lists in its state, to {@link #enter} another manager's (a client handed to
     * another event loop); no state change.
     */
    void leave(StateEntry<S, T> e) {
        if (e.lists != this) {
            throw new IllegalStateException(e.owner + " is not listed here");
        }
        unlink(e);
    }

    /** Moves the connection to the end of {@code to}'s list. */
    void move(StateEntry<S, T> e, S to, long nowNanos) {
        move(e, to, nowNanos, false);
    }

    /** Moves the connection to the front of {@code to}'s list (idle servers: most recently used first). */
    void moveFirst(StateEntry<S, T> e, S to, long nowNanos) {
        move(e, to, nowNanos, true);
    }

    private void move(StateEntry<S, T> e, S to, long nowNanos, boolean front) {
        if (!edges.test(e.state, to)) {
            throw new IllegalStateException(e.owner + " cannot go from " + e.state + " to " + to);
        }
        if (e.lists != null) {
            e.lists.unlink(e);
        }
        e.state = to;
        e.sinceNanos = nowNanos;
        e.waitNoticeSent = false;
        if (to != terminal) {
            link(e, to, front);
        }
    }

    private void link(StateEntry<S, T> e, S state, boolean front) {
        int i = state.ordinal();
        e.lists = this;
        if (first[i] == null) {
            first[i] = last[i] = e;
        } else if (front) {
            e.next = first[i];
            first[i].prev = e;
            first[i] = e;
        } else {
            e.prev = last[i];
            last[i].next = e;
            last[i] = e;
        }
        size[i]++;
    }

    private void unlink(StateEntry<S, T> e) {
        int i = e.state.ordinal();
        if (e.prev == null) {
            first[i] = e.next;
        } else {
            e.prev.next = e.next;
        }
        if (e.next == null) {
            last[i] = e.prev;
        } else {
            e.next.prev = e.prev;
        }
        e.prev = e.next = null;
        e.lists = null;
        size[i]--;
    }

    int size(S state) {
        return size[state.ordinal()];
    }

    boolean isEmpty(S state) {
        return size[state.ordinal()] == 0;
    }

    /** The oldest entry of the list (the first waiter), or null. */
    T first(S state) {
        StateEntry<S, T> e = first[state.ordinal()];
        return e == null ? null : e.owner;
    }

    T last(S state) {
        StateEntry<S, T> e = last[state.ordinal()];
        return e == null ? null : e.owner;
    }

    /** When the first entry of the list entered it, or -1 when the list is empty. */
    long firstSince(S state) {
        StateEntry<S, T> e = first[state.ordinal()];
        return e == null ? -1 : e.sinceNanos;
    }

    /** The earliest {@link #firstSince} of the lists of {@code states}, or -1 when they are all empty. */
    @SafeVarargs
    final long firstSince(S... states) {
        long earliest = -1;
        for (S state : states) {
            long since = firstSince(state);
            if (since >= 0 && (earliest < 0 || since < earliest)) {
                earliest = since;
            }
        }
        return earliest;
    }

    /** A copy of the list, in order: safe to walk while its members move or close. */
    List<T> list(S state) {
        List<T> out = new ArrayList<>(size[state.ordinal()]);
        addTo(out, state);
        return out;
    }

    /** The connections in {@code states}, list after list, each in its list's order. */
    @SafeVarargs
    final List<T> list(S... states) {
        int n = 0;
        for (S s : states) {
            n += size[s.ordinal()];
        }
        List<T> out = new ArrayList<>(n);
        for (S s : states) {
            addTo(out, s);
        }
        return out;
    }

    void addTo(List<? super T> out, S state) {
        for (StateEntry<S, T> e = first[state.ordinal()]; e != null; e = e.next) {
            out.add(e.owner);
        }
    }
}
