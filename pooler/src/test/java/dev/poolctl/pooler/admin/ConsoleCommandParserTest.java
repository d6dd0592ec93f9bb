package dev.poolctl.pooler.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.poolctl.pooler.admin.ConsoleCommandParser.Command;
import dev.poolctl.pooler.admin.ConsoleCommandParser.Parsed;
import dev.poolctl.pooler.admin.ConsoleCommandParser.SetCommand;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The console grammar: the same parses as PgBouncer's regular expressions (which AdminConsole used until they
 * were found to backtrack exponentially), and linear time on any line a console user can send.
 */
class ConsoleCommandParserTest {
    // The patterns AdminConsole used before, kept as the oracle: only ever fed short lines here.
    private static final String WS0 = "[ \\t\\n\\r]*";
    private static final String WS1 = "[ \\t\\n\\r]+";
    private static final String WORD = "(\"(?:[^\"]+|\"\")*\"|[0-9a-z_]+)";
    private static final String STRING = "('(?:[^']|'')*')";
    private static final Pattern OLD_COMMAND = Pattern.compile(
            "^" + WS0 + WORD + "(?:" + WS1 + WORD + ")?" + WS0 + "(?:;" + WS0 + ")?$", Pattern.CASE_INSENSITIVE);
    private static final Pattern OLD_SET = Pattern.compile(
            "^" + WS0 + "set" + WS1 + WORD + WS0 + "(?:=|to)" + WS0 + "(" + WORD + "|" + STRING + ")" + WS0
                    + "(?:;" + WS0 + ")?$", Pattern.CASE_INSENSITIVE);

    private static Parsed oldParse(String line) {
        Matcher m = OLD_COMMAND.matcher(line);
        if (m.matches()) {
            return new Command(m.group(1), m.group(2));
        }
        m = OLD_SET.matcher(line);
        if (m.matches()) {
            return new SetCommand(m.group(1), m.group(2));
        }
        return null;
    }

    @Example
    void commands() {
        assertEquals(new Command("SHOW", "pools"), ConsoleCommandParser.parse("SHOW pools"));
        assertEquals(new Command("show", "\"Pools\""), ConsoleCommandParser.parse(" \tshow\r\n\"Pools\" ; \n"));
        assertEquals(new Command("reload", null), ConsoleCommandParser.parse("reload;"));
        assertEquals(new Command("\"a\"\"b\"", null), ConsoleCommandParser.parse("\"a\"\"b\""));
        assertEquals(new Command("set", "x"), ConsoleCommandParser.parse("set x"));
        assertNull(ConsoleCommandParser.parse("show pools extra"));
        assertNull(ConsoleCommandParser.parse("show-pools"));
        assertNull(ConsoleCommandParser.parse("show \"pools"));
        assertNull(ConsoleCommandParser.parse("show pools;;"));
        assertNull(ConsoleCommandParser.parse(""));
        assertNull(ConsoleCommandParser.parse("show\u00a0pools"));
    }

    @Example
    void setCommands() {
        assertEquals(new SetCommand("default_pool_size", "5"), ConsoleCommandParser.parse("SET default_pool_size = 5"));
        assertEquals(new SetCommand("x", "'it''s'"), ConsoleCommandParser.parse("set x TO 'it''s';"));
        assertEquals(new SetCommand("\"k\"", "\"v\""), ConsoleCommandParser.parse("set \"k\"to\"v\""));
        assertEquals(new SetCommand("a", "b"), ConsoleCommandParser.parse("set a tob"));
        assertEquals(new SetCommand("atob", "'c'"), ConsoleCommandParser.parse("set atobto'c'"));
        assertEquals(new Command("set", "atobtoc"), ConsoleCommandParser.parse("set atobtoc"));
        assertEquals(new SetCommand("ab", "'x'"), ConsoleCommandParser.parse("set abto 'x'"));
        assertNull(ConsoleCommandParser.parse("set a = 'x"));
        assertNull(ConsoleCommandParser.parse("set a ="));
        assertNull(ConsoleCommandParser.parse("\u017fet a = 1")); // long s folds to S, not in PgBouncer's grammar
        assertEquals("it's", ConsoleCommandParser.unquote("'it''s'"));
        assertEquals("a\"b", ConsoleCommandParser.unquote("\"a\"\"b\""));
    }

    @Example
    void examplesParseAsTheOldPatterns() {
        for (String line : List.of("SHOW pools", "set a tob", "set atobtoc", "set atobto'c'", "set abto 'x'", "set \"k\"to\"v\"",
                "set x TO 'it''s';", "set a to1", "set ato1", "set to to to", "set totototo", "set to=to",
                "show \"\"", "set \"\"\"\" = ''''", "SeT a\n=\n'b' ;\t")) {
            assertEquals(oldParse(line), ConsoleCommandParser.parse(line), line);
        }
    }

    /** Short lines from the grammar's own pieces, so that most parse and the quirks are reached. */
    @Provide
    Arbitrary<String> grammarLines() {
        Arbitrary<String> token = Arbitraries.of("set", "SET", "sEt", "show", "to", "TO", "tO", "t", "o", "=", ";",
                " ", "\t", "\n", "\r", "\"", "\"\"", "'", "''", "a", "b_1", "x9", "tob", "ato", "\u017f", "\u212a",
                "-", ".", "é", "Z");
        return token.list().ofMaxSize(14).map(l -> String.join("", l)).filter(s -> s.length() <= 22);
    }

    @Property(tries = 20_000)
    void sameParseAsTheOldPatterns(@ForAll("grammarLines") String line) {
        assertEquals(oldParse(line), ConsoleCommandParser.parse(line), line);
    }

    @Property(tries = 5_000)
    void sameParseAsTheOldPatternsOnAnyShortLine(@ForAll("anyShortLine") String line) {
        assertEquals(oldParse(line), ConsoleCommandParser.parse(line), line);
    }

    @Provide
    Arbitrary<String> anyShortLine() {
        return Arbitraries.strings().withChars(" \t\r\n\"';=setoSETO_a1\u00a0\u017f").ofMaxLength(18);
    }

    /**
     * Lines up to 100 KB, random or built to make a backtracking parser explode (an unterminated quote after a long
     * word, runs of "to" after SET, long runs of doubled quotes): each parses quickly and never throws.
     */
    @Property(tries = 300)
    void anyLineParsesInBoundedTime(@ForAll("hostileLines") String line) {
        assertTimeoutPreemptively(Duration.ofMillis(500), () -> ConsoleCommandParser.parse(line), () ->
                "parse of a " + line.length() + "-char line starting " + line.substring(0, Math.min(40, line.length())));
    }

    @Provide
    Arbitrary<String> hostileLines() {
        Arbitrary<String> piece = Arbitraries.of("\"", "a", "aa", "\"\"", "'", "''", "to", "TO", " ", "\t", "set ",
                "=", ";", "x");
        Arbitrary<String> prefix = Arbitraries.of("", "SHOW \"", "show ", "set ", "set a to '", "set \"", "\"",
                "set a = \"");
        Arbitrary<Integer> size = Arbitraries.integers().between(1, 100_000);
        Arbitrary<String> repeated = Combinators.combine(prefix, piece.list().ofMinSize(1).ofMaxSize(4), size)
                .as((p, pattern, n) -> {
                    String unit = String.join("", pattern);
                    return p + unit.repeat(Math.max(1, (n - p.length()) / unit.length()));
                });
        Arbitrary<String> random = Arbitraries.strings().withChars(" \t\"';=toseTOSEa_\n").ofMaxLength(100_000);
        return Arbitraries.oneOf(repeated, random);
    }
}
