package dev.poolctl.cli.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.jline.reader.Candidate;
import org.jline.reader.impl.DefaultParser;
import org.junit.jupiter.api.Test;

class AdminCompleterTest {
    private final AdminCompleter completer = new AdminCompleter(List.of("testdb", "otherdb"));

    @Test
    void firstWordIsACommand() {
        assertEquals(List.of("SHOW", "PAUSE", "RESUME", "RELOAD", "KILL", "KILL_CLIENT", "RECONNECT", "DISABLE",
                "ENABLE", "SUSPEND", "SHUTDOWN", "WAIT_CLOSE", "SET", "DRAIN"), completer.candidates(List.of(), 0));
    }

    @Test
    void showCompletesTheShowListsWhateverTheCase() {
        List<String> targets = completer.candidates(List.of("show"), 1);
        assertEquals(AdminCompleter.SHOW_TARGETS, targets);
        assertTrue(targets.containsAll(List.of("HELP", "POOLS", "STATS_TOTALS", "ACTIVE_SOCKETS", "FDS", "VERSION")));
        assertEquals(targets, completer.candidates(List.of("SHOW"), 1));
    }

    @Test
    void databaseCommandsCompleteTheDatabases() {
        for (String verb : List.of("pause", "RESUME", "kill", "reconnect", "disable", "enable", "wait_close")) {
            assertEquals(List.of("testdb", "otherdb"), completer.candidates(List.of(verb), 1), verb);
        }
        assertEquals(List.of("WAIT_FOR_SERVERS", "WAIT_FOR_CLIENTS"), completer.candidates(List.of("shutdown"), 1));
    }

    @Test
    void nothingElse() {
        assertTrue(completer.candidates(List.of("reload"), 1).isEmpty());
        assertTrue(completer.candidates(List.of("kill_client"), 1).isEmpty());
        assertTrue(completer.candidates(List.of("bogus"), 1).isEmpty());
        assertTrue(completer.candidates(List.of("show", "pools"), 2).isEmpty());
        assertTrue(new AdminCompleter(List.of()).candidates(List.of("pause"), 1).isEmpty());
    }

    @Test
    void completesFromAParsedLine() {
        DefaultParser parser = new DefaultParser();
        List<Candidate> got = new ArrayList<>();
        completer.complete(null, parser.parse("show po", 7), got);
        assertTrue(got.stream().anyMatch(c -> c.value().equals("POOLS")));
        assertFalse(got.stream().anyMatch(c -> c.value().equals("testdb")));

        got.clear();
        completer.complete(null, parser.parse("pause ", 6), got);
        assertEquals(List.of("testdb", "otherdb"), got.stream().map(Candidate::value).toList());

        got.clear();
        completer.complete(null, parser.parse("sh", 2), got);
        assertEquals(AdminCompleter.VERBS, got.stream().map(Candidate::value).toList());
    }

    @Test
    void quitLines() {
        for (String q : List.of("\\q", "quit", "EXIT", " exit; ", "\\q;")) {
            assertTrue(AdminConsole.isQuit(q), q);
        }
        for (String q : List.of("show quit", "q", "\\quit", "")) {
            assertFalse(AdminConsole.isQuit(q), q);
        }
    }
}
