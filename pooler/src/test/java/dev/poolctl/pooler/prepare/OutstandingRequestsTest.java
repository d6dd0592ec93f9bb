package dev.poolctl.pooler.prepare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.pooler.prepare.OutstandingRequests.Kind;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Matching server answers to the requests sent, as PostgreSQL orders them. */
class OutstandingRequestsTest {
    private final StatementRegistry registry = new StatementRegistry();
    private final OutstandingRequests requests = new OutstandingRequests();
    private final List<String> effects = new ArrayList<>();

    private final OutstandingRequests.Effects recorder = new OutstandingRequests.Effects() {
        @Override
        public void fake(byte type) {
            effects.add("fake " + (char) type);
        }

        @Override
        public void parseUndone(OutstandingRequests.Request r) {
            effects.add("parseUndone " + r.statement() + " " + r.clientName());
        }

        @Override
        public void closeUndone(OutstandingRequests.Request r) {
            effects.add("closeUndone " + r.statement());
        }

        @Override
        public void closeDone(OutstandingRequests.Request r) {
            effects.add("closeDone " + r.statement());
        }

        @Override
        public void cacheUncertain() {
            effects.add("uncertain");
        }
    };

    private SharedStatement statement(String sql) {
        return registry.acquire(sql.getBytes());
    }

    private String answers(String serverTypes) {
        StringBuilder out = new StringBuilder();
        for (char t : serverTypes.toCharArray()) {
            int a = requests.onResponse((byte) t, recorder);
            out.append(a == OutstandingRequests.FORWARD ? 'f' : a == OutstandingRequests.SWALLOW ? 's' : '!');
        }
        return out.toString();
    }

    @Test
    void withOnlySimpleQueriesOutstandingOnlyReadyForQueryIsRead() {
        requests.add(Kind.SYNC);
        requests.add(Kind.SYNC);
        for (char t : "TnCIsE".toCharArray()) {
            assertFalse(requests.needs((byte) t), "'" + t + "' passes unread");
            // and reading it would have changed nothing: the queue still ends at the two Syncs
            assertEquals("f", answers(String.valueOf(t)));
        }
        requests.mayDropStatements(); // the client sent DISCARD or DEALLOCATE: its CommandComplete must be seen
        assertTrue(requests.needs((byte) 'C'));
        assertFalse(requests.needs((byte) 'T'));
        assertTrue(requests.needs((byte) 'Z'));
        assertFalse(requests.needs((byte) 'D'), "DataRow is never tracked");
        assertEquals("ff", answers("ZZ"));
        assertTrue(requests.isEmpty());
        requests.linkEnded();
        assertFalse(requests.needs((byte) 'C'), "the next client's link starts without the watch");

        requests.add(Kind.SYNC);
        requests.add(Kind.DESCRIBE); // a Describe behind the Sync: its RowDescription must be matched
        requests.add(Kind.SYNC);
        assertTrue(requests.needs((byte) 'T'));
        assertTrue(requests.needs((byte) 'E'));
    }

    @Test
    void syncsIgnoredInCopyInAreForgotten() {
        // libpq's extended COPY FROM STDIN: Parse, Bind, Execute, Sync, (data), CopyDone, Sync.
        requests.add(Kind.PARSE);
        requests.add(Kind.BIND);
        requests.add(Kind.EXECUTE);
        requests.add(Kind.SYNC);
        assertEquals("ff", answers("12"));
        requests.add(Kind.SYNC);
        requests.ignoreSyncs(1);
        // CommandComplete, then the one ReadyForQuery PostgreSQL sends.
        assertEquals("ff", answers("CZ"));
        assertTrue(requests.isEmpty());
    }

    @Test
    void answersOfAPipelineAreForwardedAndTheQueueEmpties() {
        requests.add(Kind.PARSE);
        requests.add(Kind.BIND);
        requests.add(Kind.DESCRIBE);
        requests.add(Kind.EXECUTE);
        requests.add(Kind.SYNC);

        // ParseComplete, BindComplete, RowDescription, DataRow (not tracked), CommandComplete, ReadyForQuery
        assertEquals("ffffff", answers("12TDCZ"));
        assertTrue(requests.isEmpty());
        assertEquals(List.of(), effects);
    }

    @Test
    void describeOfAStatementEndsAtRowDescriptionOrNoData() {
        requests.add(Kind.DESCRIBE);
        requests.add(Kind.DESCRIBE);
        requests.add(Kind.SYNC);

        assertEquals("fffff", answers("tTtnZ"));
        assertTrue(requests.isEmpty());
    }

    @Test
    void answersToThePoolersOwnParseAndCloseAreSwallowed() {
        SharedStatement old = statement("old");
        SharedStatement s = statement("new");
        requests.add(Kind.CLOSE_INJECTED, old, null);
        requests.add(Kind.PARSE_INJECTED, s, null);
        requests.add(Kind.BIND);
        requests.add(Kind.SYNC);

        assertEquals("ssff", answers("312Z"));
        assertEquals(List.of("closeDone PGBOUNCER_1"), effects);
    }

    @Test
    void fakeAnswersGoOutWhenEverythingBeforeThemIsAnswered() {
        requests.add(Kind.BIND);
        assertTrue(requests.addFake(Kind.PARSE_FAKE, statement("x"), "c1"));
        requests.add(Kind.EXECUTE);
        assertTrue(requests.addFake(Kind.CLOSE_FAKE, null, null));
        requests.add(Kind.SYNC);

        assertEquals("f", answers("2"));
        assertEquals(List.of("fake 1"), effects);
        assertEquals("ff", answers("DC"));
        assertEquals(List.of("fake 1", "fake 3"), effects);
        assertEquals("f", answers("Z"));
        assertTrue(requests.isEmpty());
    }

    @Test
    void aFakeWithNothingOutstandingIsTheCallersToSendAtOnce() {
        assertEquals(false, requests.addFake(Kind.PARSE_FAKE, statement("x"), "c1"));
        assertTrue(requests.isEmpty());
    }

    @Test
    void anErrorUndoesEverythingUpToTheSync() {
        SharedStatement a = statement("a");
        SharedStatement b = statement("b");
        SharedStatement c = statement("c");
        SharedStatement d = statement("d");
        requests.add(Kind.PARSE, a, "mine");
        requests.add(Kind.BIND);
        requests.add(Kind.EXECUTE);
        requests.add(Kind.CLOSE_INJECTED, b, null);
        requests.add(Kind.PARSE_INJECTED, c, null);
        requests.addFake(Kind.PARSE_FAKE, d, "other");
        requests.add(Kind.SYNC);
        requests.add(Kind.BIND);
        requests.add(Kind.SYNC);

        // The Parse worked, the Bind failed: Execute and everything after it up to the Sync never ran.
        assertEquals("ff", answers("1E"));
        assertEquals(List.of("closeUndone PGBOUNCER_2", "parseUndone PGBOUNCER_3 null",
                "parseUndone PGBOUNCER_4 other"), effects);
        // The next Sync's work runs normally.
        assertEquals("fff", answers("Z2Z"));
        assertTrue(requests.isEmpty());
    }

    @Test
    void anErrorInASimpleQueryUndoesNothing() {
        requests.add(Kind.SYNC);
        requests.add(Kind.PARSE, statement("a"), "mine");
        requests.add(Kind.SYNC);

        assertEquals("fff", answers("EZ1"));
        assertEquals("f", answers("Z"));
        assertEquals(List.of(), effects);
    }

    @Test
    void parseAndCloseOfOneStatementUndoneTogetherMakeTheCacheUncertain() {
        SharedStatement a = statement("a");
        requests.add(Kind.BIND);
        requests.add(Kind.CLOSE_INJECTED, a, null);
        requests.add(Kind.PARSE_INJECTED, a, null);
        requests.add(Kind.SYNC);

        answers("EZ");
        assertTrue(effects.contains("uncertain"), effects.toString());
    }

    @Test
    void anAnswerNobodyAskedForIsOutOfSync() {
        assertEquals("!", answers("2"));
        requests.add(Kind.BIND);
        assertEquals("!", answers("1"));
    }

    @Test
    void clearHandsBackTheReferencesOfQueuedCloses() {
        requests.add(Kind.CLOSE_INJECTED, statement("a"), null);
        requests.add(Kind.SYNC);

        requests.clear(recorder);

        assertEquals(List.of("closeDone PGBOUNCER_1"), effects);
        assertTrue(requests.isEmpty());
    }
}
