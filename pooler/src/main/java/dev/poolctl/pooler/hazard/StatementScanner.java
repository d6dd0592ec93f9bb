package dev.poolctl.pooler.hazard;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * A cheap look at the SQL text of a Query or Parse, in place in the read buffer, for what transaction pooling
 * cannot carry between servers. It is not a parser: it checks the first words of each statement (after
 * whitespace and comments, and after each {@code ;} outside quotes) and looks for calls of
 * {@code pg_advisory_lock} and {@code set_config} anywhere outside quotes. One pass over the bytes, no
 * allocation except for the parameter name of a {@code SET}/{@code RESET}.
 *
 * <p>The answer is a set of bits: {@link Hazard#bit()} for each hazard seen, and {@link #SETTINGS_CHANGED} when
 * a statement may have changed a tracked parameter that the server does not report with ParameterStatus, so the
 * pooler must read it back when the transaction ends.
 */
public final class StatementScanner {
    /** A tracked parameter the server does not report may have changed (SET, RESET, DISCARD ALL, set_config). */
    public static final int SETTINGS_CHANGED = 1 << 16;
    /** The text opens a transaction block (BEGIN, START TRANSACTION) and does not close it. */
    public static final int BLOCK_BEGUN = 1 << 17;
    /** The text closes a transaction block (COMMIT, END, ROLLBACK, ABORT) and opens none after. */
    public static final int BLOCK_ENDED = 1 << 18;
    /**
     * A statement starts with DISCARD or DEALLOCATE: it may drop the session's prepared statements, so the server's
     * CommandComplete must be read (a superset: only a top-level DISCARD ALL or DEALLOCATE ALL has that tag).
     */
    public static final int DROPS_STATEMENTS = 1 << 19;

    /** What the pooler knows about parameters, by lower-case name. */
    public interface Parameters {
        /** Carried to every server the client gets (reported by the server, or tracked by the pooler). */
        boolean isTracked(String name);

        /** Tracked but not reported with ParameterStatus: a change must be read back from the server. */
        boolean needsReadback(String name);
    }

    /** Longest run of words looked at in a DECLARE before its FOR. */
    private static final int DECLARE_WORDS = 12;
    private static final byte[] ADVISORY_LOCK = bytes("advisory_lock");
    private static final byte[] SHARED = bytes("_shared");
    private static final byte[] SET_CONFIG = bytes("set_config");

    private StatementScanner() {}

    /**
     * Scans the text in {@code buf} from {@code from} (inclusive) to {@code to} (exclusive).
     *
     * @param inTransaction the client's server was inside a transaction block when the text was sent: a SET
     *                      there is not counted as a session-level SET
     */
    public static int scan(ByteBuf buf, int from, int to, boolean inTransaction, Parameters params) {
        int result = 0;
        boolean atStart = true;
        int i = from;
        while (i < to) {
            byte b = buf.getByte(i);
            switch (b) {
                case ' ', '\t', '\n', '\r', '\f' -> i++;
                case '-' -> {
                    if (isComment(buf, i, to)) {
                        i = lineCommentEnd(buf, i, to);
                    } else {
                        atStart = false;
                        i++;
                    }
                }
                case '/' -> {
                    if (i + 1 < to && buf.getByte(i + 1) == '*') {
                        i = blockCommentEnd(buf, i, to);
                    } else {
                        atStart = false;
                        i++;
                    }
                }
                case ';' -> {
                    atStart = true;
                    i++;
                }
                case '\'' -> {
                    boolean escapes = i > from && (buf.getByte(i - 1) == 'E' || buf.getByte(i - 1) == 'e');
                    i = quotedEnd(buf, i, to, (byte) '\'', escapes);
                    atStart = false;
                }
                case '"' -> {
                    i = quotedEnd(buf, i, to, (byte) '"', false);
                    atStart = false;
                }
                case '$' -> {
                    i = dollarQuoteEnd(buf, from, i, to);
                    atStart = false;
                }
                default -> {
                    if (atStart) {
                        int block = block(buf, i, to);
                        if (block != 0) {
                            // A SET after BEGIN in the same text is inside the block (psql -c "BEGIN; SET ...").
                            inTransaction = block == BLOCK_BEGUN;
                            result = (result & ~(BLOCK_BEGUN | BLOCK_ENDED)) | block;
                        } else {
                            result |= statement(buf, i, to, inTransaction, params);
                        }
                        atStart = false;
                    }
                    int end = wordEnd(buf, i, to);
                    if (end == i) {
                        i++;
                    } else {
                        result |= calls(buf, i, end, to);
                        i = end;
                    }
                }
            }
        }
        return result;
    }

    /** {@link #BLOCK_BEGUN} or {@link #BLOCK_ENDED} for transaction control at {@code i}, else 0. */
    private static int block(ByteBuf buf, int i, int to) {
        int e = wordEnd(buf, i, to);
        if (is(buf, i, e, "begin") || is(buf, i, e, "start")) {
            return BLOCK_BEGUN;
        }
        if (is(buf, i, e, "commit") || is(buf, i, e, "end") || is(buf, i, e, "abort")) {
            return BLOCK_ENDED;
        }
        if (is(buf, i, e, "rollback")) {
            int w = skipSpace(buf, e, to);
            return is(buf, w, wordEnd(buf, w, to), "to") ? 0 : BLOCK_ENDED; // ROLLBACK TO SAVEPOINT stays inside
        }
        return 0;
    }

    /** Hazard and settings bits of the statement whose first word starts at {@code i}. */
    private static int statement(ByteBuf buf, int i, int to, boolean inTransaction, Parameters params) {
        int e1 = wordEnd(buf, i, to);
        if (e1 == i) {
            return 0;
        }
        if (is(buf, i, e1, "set")) {
            return set(buf, e1, to, inTransaction, params);
        }
        if (is(buf, i, e1, "reset")) {
            int w = skipSpace(buf, e1, to);
            int e = wordEnd(buf, w, to);
            if (is(buf, w, e, "all")) {
                return SETTINGS_CHANGED;
            }
            if (is(buf, w, e, "session")) {
                return 0; // RESET SESSION AUTHORIZATION
            }
            String name = parameterName(buf, w, to);
            return name != null && params.needsReadback(name) ? SETTINGS_CHANGED : 0;
        }
        if (is(buf, i, e1, "discard")) {
            int w = skipSpace(buf, e1, to);
            return DROPS_STATEMENTS | (is(buf, w, wordEnd(buf, w, to), "all") ? SETTINGS_CHANGED : 0);
        }
        if (is(buf, i, e1, "deallocate")) {
            return DROPS_STATEMENTS;
        }
        if (is(buf, i, e1, "prepare")) {
            int w = skipSpace(buf, e1, to);
            return is(buf, w, wordEnd(buf, w, to), "transaction") ? 0 : Hazard.PREPARE.bit(); // two-phase commit
        }
        if (is(buf, i, e1, "listen")) {
            return Hazard.LISTEN.bit();
        }
        if (is(buf, i, e1, "create")) {
            return createTemp(buf, e1, to) ? Hazard.TEMP_TABLE.bit() : 0;
        }
        if (is(buf, i, e1, "declare")) {
            return withHold(buf, e1, to) ? Hazard.WITH_HOLD.bit() : 0;
        }
        return 0;
    }

    /** SET ...: which parameter, and whether it lasts beyond the transaction. */
    private static int set(ByteBuf buf, int at, int to, boolean inTransaction, Parameters params) {
        int w = skipSpace(buf, at, to);
        int e = wordEnd(buf, w, to);
        if (is(buf, w, e, "local") || is(buf, w, e, "transaction") || is(buf, w, e, "constraints")) {
            return 0; // ends with the transaction
        }
        String name;
        if (is(buf, w, e, "session")) {
            int w3 = skipSpace(buf, e, to);
            int e3 = wordEnd(buf, w3, to);
            if (is(buf, w3, e3, "characteristics") || is(buf, w3, e3, "authorization")) {
                return inTransaction ? 0 : Hazard.SESSION_SET.bit();
            }
            w = w3;
            e = e3;
        }
        if (is(buf, w, e, "time")) {
            name = "timezone"; // SET TIME ZONE
        } else if (is(buf, w, e, "names")) {
            name = "client_encoding";
        } else if (is(buf, w, e, "schema")) {
            name = "search_path";
        } else {
            name = parameterName(buf, w, to);
        }
        if (name == null) {
            return 0;
        }
        int result = params.needsReadback(name) ? SETTINGS_CHANGED : 0;
        if (!inTransaction && !params.isTracked(name)) {
            result |= Hazard.SESSION_SET.bit();
        }
        return result;
    }

    /** CREATE [OR REPLACE] [GLOBAL|LOCAL] TEMP|TEMPORARY ... */
    private static boolean createTemp(ByteBuf buf, int at, int to) {
        int w = skipSpace(buf, at, to);
        int e = wordEnd(buf, w, to);
        if (is(buf, w, e, "or")) {
            w = skipSpace(buf, e, to);
            e = wordEnd(buf, w, to);
            if (!is(buf, w, e, "replace")) {
                return false;
            }
            w = skipSpace(buf, e, to);
            e = wordEnd(buf, w, to);
        }
        if (is(buf, w, e, "global") || is(buf, w, e, "local")) {
            w = skipSpace(buf, e, to);
            e = wordEnd(buf, w, to);
        }
        return is(buf, w, e, "temp") || is(buf, w, e, "temporary");
    }

    /** DECLARE name [BINARY] [ASENSITIVE|INSENSITIVE] [[NO] SCROLL] CURSOR [WITH HOLD] FOR ... */
    private static boolean withHold(ByteBuf buf, int at, int to) {
        int w = skipSpace(buf, at, to);
        boolean afterWith = false;
        for (int n = 0; n < DECLARE_WORDS && w < to; n++) {
            int e = buf.getByte(w) == '"' ? quotedEnd(buf, w, to, (byte) '"', false) : wordEnd(buf, w, to);
            if (e == w || is(buf, w, e, "for")) {
                return false;
            }
            if (afterWith && is(buf, w, e, "hold")) {
                return true;
            }
            afterWith = is(buf, w, e, "with");
            w = skipSpace(buf, e, to);
        }
        return false;
    }

    /** Calls in the word {@code [i, end)}: pg_advisory_lock(...) and set_config(...). */
    private static int calls(ByteBuf buf, int i, int end, int to) {
        int len = end - i;
        if (len >= ADVISORY_LOCK.length) {
            // pg_advisory_lock, pg_advisory_lock_shared, pg_try_advisory_lock(_shared); not the _xact_ ones.
            for (int k = i; k + ADVISORY_LOCK.length <= end; k++) {
                if (matches(buf, k, ADVISORY_LOCK)) {
                    int after = k + ADVISORY_LOCK.length;
                    if (after + SHARED.length <= end && matches(buf, after, SHARED)) {
                        after += SHARED.length;
                    }
                    if (after == end && opensCall(buf, end, to)) {
                        return Hazard.ADVISORY_LOCK.bit();
                    }
                }
            }
        }
        if (len >= SET_CONFIG.length && matches(buf, end - SET_CONFIG.length, SET_CONFIG) && opensCall(buf, end, to)) {
            int before = end - SET_CONFIG.length;
            if (before == i || buf.getByte(before - 1) == '.') {
                return SETTINGS_CHANGED; // set_config( or pg_catalog.set_config(
            }
        }
        return 0;
    }

    private static boolean opensCall(ByteBuf buf, int at, int to) {
        int j = skipSpace(buf, at, to);
        return j < to && buf.getByte(j) == '(';
    }

    /** A parameter name: a word, a dotted custom name, or a double-quoted identifier; lower-cased. */
    private static String parameterName(ByteBuf buf, int w, int to) {
        if (w >= to) {
            return null;
        }
        if (buf.getByte(w) == '"') {
            int end = quotedEnd(buf, w, to, (byte) '"', false);
            return end - 1 > w + 1 ? buf.toString(w + 1, end - w - 2, StandardCharsets.UTF_8) : null;
        }
        int e = w;
        while (e < to && (isWordByte(buf.getByte(e)) || buf.getByte(e) == '.')) {
            e++;
        }
        return e == w ? null : buf.toString(w, e - w, StandardCharsets.UTF_8).toLowerCase(Locale.ROOT);
    }

    // ---- lexical helpers ----

    private static boolean isWordByte(byte b) {
        return (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9') || b == '_' || b == '$'
                || b < 0; // bytes of multi-byte UTF-8 characters are identifier characters in PostgreSQL
    }

    private static int wordEnd(ByteBuf buf, int i, int to) {
        if (i >= to || buf.getByte(i) == '$') {
            return i; // a word does not start with '$' ($1, $tag$)
        }
        int e = i;
        while (e < to && isWordByte(buf.getByte(e))) {
            e++;
        }
        return e;
    }

    /** Whether {@code [i, end)} is the lower-case ASCII word {@code word}, in any case. */
    private static boolean is(ByteBuf buf, int i, int end, String word) {
        if (end - i != word.length()) {
            return false;
        }
        for (int k = 0; k < word.length(); k++) {
            if ((buf.getByte(i + k) | 0x20) != word.charAt(k)) {
                return false;
            }
        }
        return true;
    }

    /** Case-insensitive match of the lower-case ASCII {@code lower} at {@code i}. */
    private static boolean matches(ByteBuf buf, int i, byte[] lower) {
        for (int k = 0; k < lower.length; k++) {
            byte b = buf.getByte(i + k);
            if (b != lower[k] && (b | 0x20) != lower[k]) {
                return false;
            }
        }
        return true;
    }

    private static int skipSpace(ByteBuf buf, int i, int to) {
        while (i < to) {
            byte b = buf.getByte(i);
            if (b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == '\f') {
                i++;
            } else if (b == '-' && isComment(buf, i, to)) {
                i = lineCommentEnd(buf, i, to);
            } else if (b == '/' && i + 1 < to && buf.getByte(i + 1) == '*') {
                i = blockCommentEnd(buf, i, to);
            } else {
                break;
            }
        }
        return i;
    }

    private static boolean isComment(ByteBuf buf, int i, int to) {
        return i + 1 < to && buf.getByte(i + 1) == '-';
    }

    private static int lineCommentEnd(ByteBuf buf, int i, int to) {
        int nl = buf.indexOf(i, to, (byte) '\n');
        return nl < 0 ? to : nl + 1;
    }

    /** End of a block comment at {@code i}; PostgreSQL's block comments nest. */
    private static int blockCommentEnd(ByteBuf buf, int i, int to) {
        int depth = 0;
        int j = i;
        while (j + 1 < to) {
            byte b = buf.getByte(j);
            byte next = buf.getByte(j + 1);
            if (b == '/' && next == '*') {
                depth++;
                j += 2;
            } else if (b == '*' && next == '/') {
                depth--;
                j += 2;
                if (depth == 0) {
                    return j;
                }
            } else {
                j++;
            }
        }
        return to;
    }

    /** End (after the closing quote) of a quoted string or identifier at {@code i}; doubled quotes stay inside. */
    private static int quotedEnd(ByteBuf buf, int i, int to, byte quote, boolean backslashEscapes) {
        int j = i + 1;
        while (j < to) {
            byte b = buf.getByte(j);
            if (backslashEscapes && b == '\\') {
                j += 2;
            } else if (b == quote) {
                if (j + 1 < to && buf.getByte(j + 1) == quote) {
                    j += 2;
                } else {
                    return j + 1;
                }
            } else {
                j++;
            }
        }
        return to;
    }

    /** End of a dollar-quoted string at {@code i} ($$...$$, $tag$...$tag$), or {@code i + 1} for a lone '$'. */
    private static int dollarQuoteEnd(ByteBuf buf, int from, int i, int to) {
        if (i > from && isWordByte(buf.getByte(i - 1))) {
            return i + 1; // inside a word: not a quote
        }
        int j = i + 1;
        if (j < to && buf.getByte(j) >= '0' && buf.getByte(j) <= '9') {
            return j; // $1: a parameter
        }
        while (j < to && isWordByte(buf.getByte(j)) && buf.getByte(j) != '$') {
            j++;
        }
        if (j >= to || buf.getByte(j) != '$') {
            return i + 1;
        }
        int tagLength = j - i + 1;
        for (int k = j + 1; k + tagLength <= to; k++) {
            if (buf.getByte(k) == '$' && ByteBufUtil.equals(buf, k, buf, i, tagLength)) {
                return k + tagLength;
            }
        }
        return to;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
