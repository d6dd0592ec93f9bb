package dev.poolctl.pooler.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UserlistTest {

    @Test
    void readsUsersWithEachKindOfSecret() {
        Userlist list = Userlist.parse(String.join("\n",
                "\"alice\" \"plain-pw\"",
                "\"bob\" \"md5c12a0a8856d2d03129e69fd816b3a6d8\"",
                "\"carol\" \"" + ScramSecretTest.PG_PENCIL + "\"",
                ""));

        assertEquals(List.of("alice", "bob", "carol"), List.copyOf(list.users()));
        assertEquals(Optional.of(new Secret.Plain("plain-pw")), list.secret("alice"));
        assertInstanceOf(Secret.Md5.class, list.secret("bob").orElseThrow());
        assertInstanceOf(Secret.Scram.class, list.secret("carol").orElseThrow());
        assertTrue(list.warnings().isEmpty(), list.warnings().toString());
    }

    @Test
    void doubledQuotesStandForOneQuote() {
        Userlist list = Userlist.parse("\"we\"\"ird\" \"pa\"\"ss\"\"\"\n\"\"\"\" \"\"\n");

        assertEquals(Optional.of(new Secret.Plain("pa\"ss\"")), list.secret("we\"ird"));
        assertEquals(Optional.of(new Secret.Plain("")), list.secret("\""));
        assertTrue(list.warnings().isEmpty(), list.warnings().toString());
    }

    @Test
    void skipsCommentsBlankLinesAndRestOfLine() {
        Userlist list = Userlist.parse(String.join("\r\n",
                "; PgBouncer comment",
                "# shell-style comment",
                "",
                "   \t",
                "  \"indented\" \"pw1\"   trailing words \"ignored\"",
                "\"tight\"\"x\" \"pw2\"",
                "\"semicolon;user\" \"#not-a-comment\""));

        assertEquals(List.of("indented", "tight\"x", "semicolon;user"), List.copyOf(list.users()));
        assertEquals(Optional.of(new Secret.Plain("pw1")), list.secret("indented"));
        assertEquals(Optional.of(new Secret.Plain("#not-a-comment")), list.secret("semicolon;user"));
        assertTrue(list.warnings().isEmpty(), list.warnings().toString());
    }

    @Test
    void skipsMalformedLinesWithAWarningAndKeepsTheRest() {
        Userlist list = Userlist.parse(String.join("\n",
                "\"good1\" \"pw\"",
                "unquoted \"pw\"",
                "\"no-password\"",
                "\"unterminated-user pw",
                "\"open-password\" \"secret-value",
                "\"\" \"empty-user\"",
                "\"good2\" \"pw\""));

        assertEquals(List.of("good1", "good2"), List.copyOf(list.users()));
        List<String> warnings = list.warnings();
        assertEquals(5, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).startsWith("auth_file:2: "), warnings.get(0));
        assertTrue(warnings.get(1).startsWith("auth_file:3: "), warnings.get(1));
        assertTrue(warnings.get(4).startsWith("auth_file:6: "), warnings.get(4));
        // Warnings end up in logs: they must not repeat a secret.
        assertFalse(String.join("\n", warnings).contains("secret-value"));
    }

    @Test
    void laterDuplicateWinsWithWarning() {
        Userlist list = Userlist.parse("\"dup\" \"first\"\n\"dup\" \"second\"\n");

        assertEquals(Optional.of(new Secret.Plain("second")), list.secret("dup"));
        assertEquals(1, list.warnings().size());
    }

    @Test
    void unknownUserIsEmptyAndNamesAreCaseSensitive() {
        Userlist list = Userlist.parse("\"Alice\" \"pw\"");

        assertTrue(list.secret("alice").isEmpty());
        assertTrue(list.secret("Alice").isPresent());
    }

    @Test
    void loadsFileWithSourceNameInWarnings(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("userlist.txt");
        Files.writeString(file, "\"u\" \"p\u00e4ss\"\nbroken\n", StandardCharsets.UTF_8);

        Userlist list = Userlist.load(file);

        assertEquals(Optional.of(new Secret.Plain("p\u00e4ss")), list.secret("u"));
        assertEquals(List.of(file + ":2: skipped: line must start with a quoted user name"), list.warnings());
    }

    @Test
    void refusesFileThatIsNotUtf8(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("userlist.txt");
        Files.write(file, new byte[] {'"', 'u', '"', ' ', '"', (byte) 0xe4, '"', '\n'});

        assertThrows(IOException.class, () -> Userlist.load(file));
    }

    @Test
    void formatQuotesAndRoundTrips() {
        assertEquals("\"alice\" \"md5c12a0a8856d2d03129e69fd816b3a6d8\"",
                Userlist.format("alice", "md5c12a0a8856d2d03129e69fd816b3a6d8"));
        assertEquals("\"a\"\"b\" \"\"\"pw\"\"\"", Userlist.format("a\"b", "\"pw\""));

        String line = Userlist.format("we \"ird\" user", "p\"a;ss#");
        Userlist list = Userlist.parse(line + "\n");
        assertEquals(Optional.of(new Secret.Plain("p\"a;ss#")), list.secret("we \"ird\" user"));
    }

    @Test
    void formatRejectsWhatTheFormatCannotHold() {
        assertThrows(IllegalArgumentException.class, () -> Userlist.format("a\nb", "pw"));
        assertThrows(IllegalArgumentException.class, () -> Userlist.format("a", "p\rw"));
        assertThrows(IllegalArgumentException.class, () -> Userlist.format("a", "p\0w"));
    }

    /** The operator guide's placeholder, and a broken SCRAM secret: plain text that was meant as a hash. */
    @Test
    void secretsThatLookLikeHashesButAreNotAreWarnedAboutWithoutPrintingThem() {
        Userlist list = Userlist.parse("\"app\" \"md5xxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"\n"
                + "\"svc\" \"SCRAM-SHA-256$4096:c2FsdA==$broken\"\n"
                + "\"ok\" \"md5" + "0123456789abcdef0123456789abcdef" + "\"\n"
                + "\"plain\" \"s3cret\"\n");
        assertEquals(List.of(
                "auth_file:1: the secret of user \"app\" starts with md5 but is not an md5 hash (md5 and 32 hex digits):"
                        + " it is taken as a plain-text password, so only that exact text matches",
                "auth_file:2: the secret of user \"svc\" starts with SCRAM-SHA-256$ but is not a SCRAM secret"
                        + " (SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>, base64): it is taken as a"
                        + " plain-text password, so only that exact text matches"), list.warnings());
        assertTrue(list.warnings().stream().noneMatch(w -> w.contains("xxxx") || w.contains("broken")),
                "the secrets are not printed");
        assertTrue(list.secret("app").orElseThrow() instanceof Secret.Plain);
    }

    @Test
    void emptyPasswordsAreListedWithTheirLine() {
        Userlist list = Userlist.parse(String.join("\n",
                "\"alice\" \"\"",
                "\"bob\" \"pw\"",
                "\"carol\" \"" + Md5Password.encrypt("", "carol") + "\"",
                "\"dave\" \"\"",
                "\"dave\" \"now-set\"",
                ""));

        assertEquals(List.of(
                "auth_file:1: user \"alice\" has an empty password: it can never log in with a password"
                        + " (empty passwords are refused, as in PgBouncer)",
                "auth_file:3: user \"carol\" has an empty password: it can never log in with a password"
                        + " (empty passwords are refused, as in PgBouncer)"), list.emptyPasswords());
        assertTrue(list.warnings().stream().noneMatch(w -> w.contains("empty password")), list.warnings().toString());
        assertTrue(list.hasEmptyPassword("alice"));
        assertTrue(list.hasEmptyPassword("carol"));
        assertFalse(list.hasEmptyPassword("bob"));
        assertFalse(list.hasEmptyPassword("dave"), "the later entry replaces the empty one");
        assertFalse(list.hasEmptyPassword("nobody"));
    }
}
