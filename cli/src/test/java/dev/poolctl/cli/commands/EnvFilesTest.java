package dev.poolctl.cli.commands;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.pooler.auth.Userlist;
import dev.poolctl.pooler.config.ConfigException;
import dev.poolctl.pooler.config.IniLoader;
import dev.poolctl.pooler.config.PoolMode;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What start --from-env writes: the generated ini again at every start, a file of one's own never; the users. */
class EnvFilesTest {
    @TempDir
    Path dir;

    private final StringWriter log = new StringWriter();

    private void start(Path ini, Map<String, String> env) throws Exception {
        EnvFiles.write(EnvFiles.read(ini, env), new PrintWriter(log, true), "");
    }

    @Test
    void theGeneratedFilesAreWrittenOwnerOnlyAndRewrittenWhenTheEnvironmentChanges() throws Exception {
        Path ini = dir.resolve("pgbouncer.ini");
        Path users = dir.resolve("userlist.txt");
        start(ini, Map.of("DATABASE_URL", "postgresql://app:one@db/app", "POOL_MODE", "transaction"));
        assertEquals(PoolMode.TRANSACTION, IniLoader.load(ini).config().general().poolMode());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(users)));
        assertEquals(Set.of("app"), Userlist.load(users).users());
        assertTrue(log.toString().contains(users + ": added user app"), log.toString());

        // An operator adds a user by hand; then the container restarts with a new password and pool mode.
        Files.writeString(users, Files.readString(users) + "\"other\" \"otherpw\"\n");
        start(ini, Map.of("DATABASE_URL", "postgresql://app:two@db/app", "POOL_MODE", "session"));
        assertEquals(PoolMode.SESSION, IniLoader.load(ini).config().general().poolMode());
        Userlist after = Userlist.load(users);
        assertEquals(Set.of("app", "other"), after.users(), "a user added by hand stays");
        assertTrue(Files.readString(users).contains("\"app\" \"two\""), Files.readString(users));
        assertFalse(Files.readString(users).contains("\"app\" \"one\""), Files.readString(users));
        assertTrue(log.toString().contains(users + ": updated user app"), log.toString());

        String before = Files.readString(users);
        start(ini, Map.of("DATABASE_URL", "postgresql://app:two@db/app", "POOL_MODE", "session"));
        assertEquals(before, Files.readString(users), "nothing to change: the file is left alone");
    }

    @Test
    void aFileOfOnesOwnWinsAndOnlyMissingUsersAreAdded() throws Exception {
        Path ini = dir.resolve("pgbouncer.ini");
        String own = "[databases]\n* = host=127.0.0.1\n[pgbouncer]\npool_mode = statement\nauth_file = mine.txt\n";
        Files.writeString(ini, own);
        Path mine = dir.resolve("mine.txt");
        Files.writeString(mine, "\"app\" \"kept\"\n");
        start(ini, Map.of("DATABASE_URLS", "postgresql://app:new@db/app,postgresql://bob:bobpw@db/bob",
                "POOL_MODE", "session"));
        assertEquals(own, Files.readString(ini), "a pgbouncer.ini of one's own is never written");
        String users = Files.readString(mine);
        assertTrue(users.startsWith("\"app\" \"kept\"\n"), "its entry is kept, as the image keeps it: " + users);
        assertTrue(users.endsWith("\"bob\" \"bobpw\"\n"), users);
        assertFalse(users.contains("\"app\" \"new\""), users);
    }

    @Test
    void aBadEnvironmentWritesNothing() {
        Path ini = dir.resolve("pgbouncer.ini");
        ConfigException e = assertThrows(ConfigException.class,
                () -> start(ini, Map.of("DATABASE_URL", "postgresql://app:pw@db/app", "AUTH_TYPE", "pam")));
        assertTrue(e.getMessage().contains("pam"), e.getMessage());
        assertFalse(Files.exists(ini));
        assertFalse(Files.exists(dir.resolve("userlist.txt")));
    }
}
