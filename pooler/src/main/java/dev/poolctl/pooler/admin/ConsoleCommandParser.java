package dev.poolctl.pooler.admin;

/**
 * PgBouncer's console grammar (admin.c), parsed in one left-to-right pass so that no line a console user sends can
 * make the event loop backtrack: {@code WORD [WORD] [;]} and {@code SET key = value} / {@code SET key TO value}.
 *
 * <p>A WORD is {@code [0-9a-zA-Z_]+} or a quoted identifier {@code "..."} ({@code ""} inside for a quote); a SET
 * value may also be a string {@code '...'} ({@code ''} inside for a quote). Keywords are case-insensitive (ASCII
 * only) and whitespace is space, tab, CR and LF. It accepts exactly what PgBouncer's regular expressions accept,
 * with the same quirks: {@code SET a tob} sets {@code a} to {@code b} ("to" needs no blank around it), and a
 * two-word {@code SET x} is a plain command. Each character is looked at a bounded number of times.
 */
public final class ConsoleCommandParser {
    /** One parsed line; the raw words keep their quotes, see {@link #unquote}. */
    public sealed interface Parsed permits Command, SetCommand {}

    /** {@code WORD [WORD]}: {@code arg} is null when there is no second word. */
    public record Command(String verb, String arg) implements Parsed {}

    /** {@code SET key = value}: {@code value} is a WORD or a '...' string. */
    public record SetCommand(String key, String value) implements Parsed {}

    private final String s;
    private final int n;

    private ConsoleCommandParser(String line) {
        this.s = line;
        this.n = line.length();
    }

    /** The parse of {@code line}, or null when it is not a console command (a syntax error). */
    public static Parsed parse(String line) {
        ConsoleCommandParser p = new ConsoleCommandParser(line);
        Parsed command = p.command();
        return command != null ? command : p.set();
    }

    /** {@code "a""b"} gives {@code a"b}, {@code 'it''s'} gives {@code it's}; an unquoted word is returned as is. */
    public static String unquote(String word) {
        if (word.length() >= 2 && word.charAt(0) == '"') {
            return word.substring(1, word.length() - 1).replace("\"\"", "\"");
        }
        if (word.length() >= 2 && word.charAt(0) == '\'') {
            return word.substring(1, word.length() - 1).replace("''", "'");
        }
        return word;
    }

    // ---- WORD [WORD] [;] ----

    private Parsed command() {
        int i = blanks(0);
        int end = word(i);
        if (end < 0) {
            return null;
        }
        String verb = s.substring(i, end);
        String arg = null;
        int j = blanks(end);
        if (j > end) {
            int argEnd = word(j);
            if (argEnd >= 0) {
                arg = s.substring(j, argEnd);
                j = blanks(argEnd);
            }
        }
        return tail(j) ? new Command(verb, arg) : null;
    }

    // ---- SET key (=|TO) value ----

    private Parsed set() {
        int i = blanks(0);
        if (!keyword(i, "set")) {
            return null;
        }
        int keyStart = blanks(i + 3);
        if (keyStart == i + 3) {
            return null;
        }
        if (keyStart < n && s.charAt(keyStart) == '"') {
            int keyEnd = quoted(keyStart, '"');
            return keyEnd < 0 ? null : afterKey(keyStart, keyEnd, blanks(keyEnd));
        }
        int runEnd = unquotedEnd(keyStart);
        if (runEnd == keyStart) {
            return null;
        }
        // The key is the longest word prefix after which the rest still parses, as the regex's backtracking finds.
        Parsed whole = afterKey(keyStart, runEnd, blanks(runEnd));
        if (whole != null) {
            return whole;
        }
        int len = runEnd - keyStart;
        // "...to" ending the run: the value follows after optional blanks.
        if (len >= 3 && keyword(runEnd - 2, "to")) {
            Parsed v = value(keyStart, runEnd - 2, blanks(runEnd));
            if (v != null) {
                return v;
            }
        }
        // A "to" further inside the run ("set atobtoc") would leave the value ending the line right after the run:
        // that line is the two-word command "set atobtoc" already, which PgBouncer also tries first.
        return null;
    }

    /** After the key and its blanks: {@code =} or {@code to}, blanks, the value and the end. */
    private Parsed afterKey(int keyStart, int keyEnd, int i) {
        if (i < n && s.charAt(i) == '=') {
            return value(keyStart, keyEnd, blanks(i + 1));
        }
        if (keyword(i, "to")) {
            return value(keyStart, keyEnd, blanks(i + 2));
        }
        return null;
    }

    private Parsed value(int keyStart, int keyEnd, int i) {
        int end = i < n && s.charAt(i) == '\'' ? quoted(i, '\'') : word(i);
        if (end < 0 || !tail(blanks(end))) {
            return null;
        }
        return new SetCommand(s.substring(keyStart, keyEnd), s.substring(i, end));
    }

    // ---- tokens ----

    /** End of the WORD at {@code i}, or -1 when none starts there. */
    private int word(int i) {
        if (i < n && s.charAt(i) == '"') {
            return quoted(i, '"');
        }
        int end = unquotedEnd(i);
        return end > i ? end : -1;
    }

    /**
     * End of the quoted token opening at {@code i} with {@code q}, a doubled {@code q} standing for one; -1 when
     * it is not closed. Closing at the first quote of a pair would leave a quote where only a blank, {@code ;},
     * {@code =}, {@code to} or the end may follow, so reading a pair as an escape is the only parse.
     */
    private int quoted(int i, char q) {
        int j = i + 1;
        while (j < n) {
            if (s.charAt(j) == q) {
                if (j + 1 < n && s.charAt(j + 1) == q) {
                    j += 2;
                    continue;
                }
                return j + 1;
            }
            j++;
        }
        return -1;
    }

    private int unquotedEnd(int i) {
        while (i < n && isWordChar(s.charAt(i))) {
            i++;
        }
        return i;
    }

    private static boolean isWordChar(char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    }

    private static boolean isBlank(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r';
    }

    private int blanks(int i) {
        while (i < n && isBlank(s.charAt(i))) {
            i++;
        }
        return i;
    }

    /** {@code [;] blanks} up to the end of the line. */
    private boolean tail(int i) {
        if (i < n && s.charAt(i) == ';') {
            i = blanks(i + 1);
        }
        return i == n;
    }

    private boolean keyword(int i, String lower) {
        return s.regionMatches(true, i, lower, 0, lower.length())
                && asciiOnly(i, lower.length());
    }

    /** regionMatches folds case beyond ASCII (e.g. the Kelvin sign); PgBouncer's keywords are ASCII. */
    private boolean asciiOnly(int i, int len) {
        for (int k = i; k < i + len; k++) {
            if (s.charAt(k) > 127) {
                return false;
            }
        }
        return true;
    }
}
