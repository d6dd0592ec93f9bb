package dev.poolctl.pooler.auth;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * PgBouncer's auth_file (userlist.txt): one {@code "user" "secret"} pair per line, the rest of the line ignored,
 * {@code ""} inside quotes standing for one quote, lines starting with {@code ;} or {@code #} and blank lines
 * ignored.
 *
 * <p>PgBouncer stops reading at the first broken line; we skip it and record a warning instead, so one typo does
 * not lock out every user listed after it. Warnings name the line, never its secret. PgBouncer only knows {@code ;}
 * comments (a {@code #} line is "broken" there), so accepting {@code #} as well reads every file PgBouncer reads.
 * A user listed twice keeps the last entry. Immutable.
 */
public final class Userlist {
    private final Map<String, Secret> secrets;
    private final List<String> warnings;
    private final List<String> emptyPasswords;
    private final Set<String> usersWithEmptyPassword;

    private Userlist(Map<String, Secret> secrets, List<String> warnings, Map<String, String> emptyPasswords) {
        this.secrets = Collections.unmodifiableMap(secrets);
        this.warnings = List.copyOf(warnings);
        this.emptyPasswords = List.copyOf(emptyPasswords.values());
        this.usersWithEmptyPassword = Set.copyOf(emptyPasswords.keySet());
    }

    /**
     * Reads an auth_file as UTF-8.
     *
     * @throws IOException if it cannot be read or is not valid UTF-8 (decoding it anyway would silently turn a
     *     non-UTF-8 password into a different one)
     */
    public static Userlist load(Path authFile) throws IOException {
        return parse(Files.readString(authFile, StandardCharsets.UTF_8), authFile.toString());
    }

    /** Parses auth_file content, e.g. from a test or from a file the caller has read. */
    public static Userlist parse(String content) {
        return parse(content, "auth_file");
    }

    private static Userlist parse(String content, String source) {
        Map<String, Secret> secrets = new LinkedHashMap<>();
        List<String> warnings = new ArrayList<>();
        Map<String, String> emptyPasswords = new LinkedHashMap<>();
        String[] lines = content.split("\r?\n|\r", -1);
        for (int i = 0; i < lines.length; i++) {
            String where = source + ":" + (i + 1) + ": ";
            String line = lines[i].strip();
            if (line.isEmpty() || line.startsWith(";") || line.startsWith("#")) {
                continue;
            }
            if (line.charAt(0) != '"') {
                warnings.add(where + "skipped: line must start with a quoted user name");
                continue;
            }
            QuotedField user = readQuoted(line, 0);
            if (user == null) {
                warnings.add(where + "skipped: unterminated quote in user name");
                continue;
            }
            // Like PgBouncer, anything between the two fields is skipped up to the next quote.
            int secretStart = line.indexOf('"', user.end());
            if (secretStart < 0) {
                warnings.add(where + "skipped: no quoted password after user \"" + user.value() + "\"");
                continue;
            }
            QuotedField secret = readQuoted(line, secretStart);
            if (secret == null) {
                warnings.add(where + "skipped: unterminated quote in password of user \"" + user.value() + "\"");
                continue;
            }
            if (user.value().isEmpty()) {
                warnings.add(where + "skipped: empty user name");
                continue;
            }
            if (secrets.containsKey(user.value())) {
                warnings.add(where + "user \"" + user.value() + "\" listed again; this entry replaces the earlier one");
            }
            Secret parsed = Secret.of(secret.value());
            if (parsed instanceof Secret.Plain) {
                String meant = meantAsHash(secret.value());
                if (meant != null) {
                    // The operator guide's own placeholder ("md5xxxx...") would log in only with that very text.
                    warnings.add(where + "the secret of user \"" + user.value() + "\" " + meant
                            + ": it is taken as a plain-text password, so only that exact text matches");
                }
            }
            secrets.put(user.value(), parsed);
            emptyPasswords.remove(user.value());
            if (parsed.isEmptyPassword(user.value())) {
                emptyPasswords.put(user.value(), where + "user \"" + user.value() + "\" has an empty password:"
                        + " it can never log in with a password (empty passwords are refused, as in PgBouncer)");
            }
        }
        return new Userlist(secrets, warnings, emptyPasswords);
    }

    /** Why a secret that parsed as plain text was probably meant as a hash, or null (the secret is not printed). */
    private static String meantAsHash(String value) {
        if (value.startsWith("md5")) {
            return "starts with md5 but is not an md5 hash (md5 and 32 hex digits)";
        }
        if (value.startsWith("SCRAM-SHA-256$")) {
            return "starts with SCRAM-SHA-256$ but is not a SCRAM secret"
                    + " (SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>, base64)";
        }
        return null;
    }

    /** The secret listed for {@code user}; user names are case-sensitive, as in PostgreSQL. */
    public Optional<Secret> secret(String user) {
        return Optional.ofNullable(secrets.get(user));
    }

    /**
     * Whether {@code user}'s listed password is empty (or the md5 hash of an empty one): decided once here, so a
     * login does not hash anything to find out.
     */
    public boolean hasEmptyPassword(String user) {
        return usersWithEmptyPassword.contains(user);
    }

    /** The listed users, in file order. */
    public Set<String> users() {
        return secrets.keySet();
    }

    /** One message per skipped or suspicious line, in file order; empty for a clean file. */
    public List<String> warnings() {
        return warnings;
    }

    /**
     * One message per user whose password is empty (or the md5 hash of an empty one), naming its line: such a
     * user never authenticates with md5, scram-sha-256 or plain. Kept apart from {@link #warnings()}: the
     * line is well formed.
     */
    public List<String> emptyPasswords() {
        return emptyPasswords;
    }

    /**
     * One auth_file line for {@code user} and {@code secret} (plain, md5 or SCRAM text), quotes doubled, without
     * a line terminator.
     *
     * @throws IllegalArgumentException if either value holds a line break or NUL, which the format cannot carry
     */
    public static String format(String user, String secret) {
        return quote(user, "user name") + " " + quote(secret, "secret");
    }

    private static String quote(String value, String what) {
        if (value.indexOf('\n') >= 0 || value.indexOf('\r') >= 0 || value.indexOf('\0') >= 0) {
            throw new IllegalArgumentException(what + " must not contain a line break or NUL");
        }
        return "\"" + value.replace("\"", "\"\"") + "\"";
    }

    /** A quoted field's unescaped value and the index just past its closing quote. */
    private record QuotedField(String value, int end) {
    }

    /** Reads the field opening at {@code line.charAt(open) == '"'}; null if its closing quote is missing. */
    private static QuotedField readQuoted(String line, int open) {
        StringBuilder value = new StringBuilder();
        int i = open + 1;
        while (true) {
            int quote = line.indexOf('"', i);
            if (quote < 0) {
                return null;
            }
            value.append(line, i, quote);
            if (quote + 1 < line.length() && line.charAt(quote + 1) == '"') {
                value.append('"');
                i = quote + 2;
            } else {
                return new QuotedField(value.toString(), quote + 1);
            }
        }
    }
}
