package dev.poolctl.pooler.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns a {@code pgbouncer.ini} and its {@code %include}s into one text in plain ini syntax for ini4j, keeping for
 * every line that carries content (a section header or a {@code key = value}) the file and line it came from.
 *
 * <p>It handles what is PgBouncer's own and not ini syntax, following {@code parse_ini_file} in PgBouncer's
 * libusual:
 * <ul>
 *   <li>{@code %include filename} (see {@link #resolveInclude} for where the file is looked for), nested at most
 *       {@value #MAX_INCLUDE_DEPTH} deep, which also stops include cycles;</li>
 *   <li>quoted names ({@code "my db" = ...}, {@code ""} inside stands for one {@code "}; PgBouncer's older
 *       single-quoted form {@code 'my db'} too). Each is replaced by a token ({@code "0"}, {@code "1"}, ...) that
 *       ini4j cannot misread, since a name may contain {@code =} or {@code :}. {@link #name} maps a token back;</li>
 *   <li>PgBouncer's line syntax, which is stricter than ini4j's: an unquoted key is {@code [A-Za-z0-9_.*-]+}
 *       followed by {@code =}; a section header may be followed by a comment.</li>
 * </ul>
 */
final class IniPreprocessor {
    /** PgBouncer's {@code MAX_INCLUDE}. */
    static final int MAX_INCLUDE_DEPTH = 10;

    /** Where a content line of the expanded text came from (line numbers start at 1). */
    record Origin(Path file, int line) {
        @Override
        public String toString() {
            return file + ":" + line;
        }
    }

    private final StringBuilder text = new StringBuilder();
    private final List<Origin> contentLines = new ArrayList<>();
    private final List<String> quotedNames = new ArrayList<>();
    /** Whether a section header was seen; an included file continues the section of the line that includes it. */
    private boolean inSection;

    private IniPreprocessor() {
    }

    /** Reads {@code file} and everything it includes. */
    static IniPreprocessor expand(Path file) throws ConfigException {
        IniPreprocessor result = new IniPreprocessor();
        result.append(file, 0);
        return result;
    }

    /** The expanded text, for ini4j. */
    String text() {
        return text.toString();
    }

    /**
     * Origins of the content lines, in order: the n-th section header or option ini4j reports came from
     * {@code contentLines().get(n)}. This holds because comments and blank lines are the only lines ini4j skips, and
     * includes, line continuation and escapes are switched off there.
     */
    List<Origin> contentLines() {
        return contentLines;
    }

    /** The real name for a key as ini4j reports it: a quoted-name token is mapped back, other keys are unchanged. */
    String name(String key) {
        if (key.length() > 2 && key.startsWith("\"") && key.endsWith("\"")) {
            return quotedNames.get(Integer.parseInt(key.substring(1, key.length() - 1)));
        }
        return key;
    }

    private void append(Path file, int depth) throws ConfigException {
        String content = read(file);
        String[] lines = content.split("\r\n|\r|\n", -1);
        for (int i = 0; i < lines.length; i++) {
            Origin origin = new Origin(file, i + 1);
            // trim() is what ini4j applies, so blank and comment lines are classified the same way on both sides.
            String line = lines[i].trim();
            if (isInclude(line)) {
                if (depth >= MAX_INCLUDE_DEPTH) {
                    throw new ConfigException(origin + ": %include nested more than " + MAX_INCLUDE_DEPTH
                            + " levels deep (an include cycle?)");
                }
                append(resolveInclude(line.substring("%include".length()).trim(), origin), depth + 1);
            } else if (line.isEmpty() || line.startsWith("#") || line.startsWith(";")) {
                emit(line);
            } else if (line.startsWith("[")) {
                emit(sectionHeader(line, origin));
                contentLines.add(origin);
                inSection = true;
            } else {
                if (!inSection) {
                    throw syntaxError(origin, "key = value before the first [section]");
                }
                emit(keyLine(line, origin));
                contentLines.add(origin);
            }
        }
    }

    private void emit(String line) {
        text.append(line).append('\n');
    }

    private static String read(Path file) throws ConfigException {
        try {
            String content = new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
            return content.startsWith("\uFEFF") ? content.substring(1) : content;
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read config file: " + e, e);
        }
    }

    private static boolean isInclude(String line) {
        return line.startsWith("%include") && line.length() > 8
                && (line.charAt(8) == ' ' || line.charAt(8) == '\t');
    }

    /**
     * PgBouncer opens a relative include path as it is, i.e. relative to the working directory. When no file is
     * there we also try the directory of the including file, which is what a config that moved with its includes
     * means. An absolute path is used as it is.
     */
    private static Path resolveInclude(String name, Origin origin) throws ConfigException {
        Path path = Path.of(name);
        if (path.isAbsolute() || Files.exists(path)) {
            return path;
        }
        Path parent = origin.file().toAbsolutePath().getParent();
        Path sibling = parent == null ? path : parent.resolve(name);
        if (Files.exists(sibling)) {
            return sibling;
        }
        throw new ConfigException(origin + ": cannot find %include file '" + name + "' (looked in "
                + Path.of("").toAbsolutePath() + " and " + parent + ")");
    }

    /** {@code [name]}, optionally followed by a comment, which PgBouncer allows and ini4j does not. */
    private static String sectionHeader(String line, Origin origin) throws ConfigException {
        int end = line.indexOf(']');
        if (end < 0) {
            throw syntaxError(origin, "missing ']' in section header");
        }
        if (line.substring(1, end).isBlank()) {
            throw syntaxError(origin, "empty section name");
        }
        String rest = line.substring(end + 1).trim();
        if (!rest.isEmpty() && !rest.startsWith("#") && !rest.startsWith(";")) {
            throw syntaxError(origin, "unexpected text after section header: " + rest);
        }
        return line.substring(0, end + 1);
    }

    private String keyLine(String line, Origin origin) throws ConfigException {
        char first = line.charAt(0);
        String rest;
        String key;
        if (first == '"' || first == '\'') {
            int end = closingQuote(line, first);
            if (end < 0) {
                throw syntaxError(origin, "unterminated quoted name");
            }
            String name = line.substring(1, end);
            if (first == '"') {
                name = name.replace("\"\"", "\"");
            }
            if (name.isEmpty()) {
                throw syntaxError(origin, "empty quoted name");
            }
            key = "\"" + quotedNames.size() + "\"";
            quotedNames.add(name);
            rest = line.substring(end + 1);
        } else {
            int end = 0;
            while (end < line.length() && isKeyChar(line.charAt(end))) {
                end++;
            }
            key = line.substring(0, end);
            rest = line.substring(end);
        }
        if (key.isEmpty() || !rest.stripLeading().startsWith("=")) {
            throw syntaxError(origin, "expected key = value (names other than letters, digits and _.*- need"
                    + " double quotes)");
        }
        return key + rest;
    }

    /** What PgBouncer allows in a key without quotes: ASCII letters and digits, {@code _ . * -}. */
    private static boolean isKeyChar(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "_.*-".indexOf(c) >= 0;
    }

    /** Index of the quote closing a name that starts at 0; inside double quotes {@code ""} is an escaped quote. */
    private static int closingQuote(String line, char quote) {
        int i = 1;
        while (i < line.length()) {
            if (line.charAt(i) == quote) {
                if (quote == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
                    i += 2;
                    continue;
                }
                return i;
            }
            i++;
        }
        return -1;
    }

    private static ConfigException syntaxError(Origin origin, String detail) {
        return new ConfigException(origin + ": syntax error: " + detail);
    }
}
