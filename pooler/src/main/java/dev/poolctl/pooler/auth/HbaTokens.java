package dev.poolctl.pooler.auth;

/**
 * The tokens of one hba or ident line, as PgBouncer's hba.c reads them: words end at whitespace, {@code ,},
 * {@code #} or {@code "}; a {@code "quoted string"} ({@code ""} for a quote) is a name, never a keyword; {@code #}
 * starts a comment. Linear in the line's length.
 */
final class HbaTokens {
    private enum Kind { WORD, STRING, COMMA, END }

    private final String line;
    private int pos;
    private Kind kind;
    private String text;

    HbaTokens(String line) {
        this.line = line;
        next();
    }

    /** Moves to the next token. */
    void next() {
        if (kind == Kind.END) {
            return;
        }
        while (pos < line.length() && Character.isWhitespace(line.charAt(pos))) {
            pos++;
        }
        text = null;
        if (pos >= line.length() || line.charAt(pos) == '#') {
            kind = Kind.END;
        } else if (line.charAt(pos) == ',') {
            kind = Kind.COMMA;
            pos++;
        } else if (line.charAt(pos) == '"') {
            StringBuilder b = new StringBuilder();
            int i = pos + 1;
            while (true) {
                if (i >= line.length()) {
                    throw new IllegalArgumentException("unterminated quoted name");
                }
                char c = line.charAt(i);
                if (c == '"') {
                    if (i + 1 < line.length() && line.charAt(i + 1) == '"') {
                        b.append('"');
                        i += 2;
                        continue;
                    }
                    break;
                }
                b.append(c);
                i++;
            }
            pos = i + 1;
            kind = Kind.STRING;
            text = b.toString();
        } else {
            int start = pos;
            pos++;
            while (pos < line.length()) {
                char c = line.charAt(pos);
                if (c == ',' || c == '#' || c == '"' || Character.isWhitespace(c)) {
                    break;
                }
                pos++;
            }
            kind = Kind.WORD;
            text = line.substring(start, pos);
        }
    }

    boolean atEnd() {
        return kind == Kind.END;
    }

    /**
     * The current unquoted word, or null: a keyword (matched case-sensitively, as PgBouncer's strcmp) or a value
     * (an address, a mask, {@code map=...}).
     */
    String keyword() {
        return kind == Kind.WORD ? text : null;
    }

    /** The current word or quoted string as a name, or null. */
    String name() {
        return kind == Kind.WORD || kind == Kind.STRING ? text : null;
    }

    /** Consumes a comma if the current token is one. */
    boolean comma() {
        if (kind == Kind.COMMA) {
            next();
            return true;
        }
        return false;
    }

    /** The raw text after the current token, then consumed (ldap's options: PgBouncer's strdup(tp->pos)). */
    String takeRest() {
        String rest = line.substring(Math.min(pos, line.length()));
        kind = Kind.END;
        text = null;
        return rest;
    }
}
