package dev.poolctl.pooler.auth;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * OS user names by uid, for the hba {@code peer} method (PgBouncer asks getpwuid per login). Read from
 * /etc/passwd when the rules are loaded, off the event loops: a lookup at login would be disk (or NSS network)
 * I/O on a loop. Users added later are known after the next RELOAD; users only in a directory service (LDAP, sssd)
 * are not seen.
 */
public final class OsUsers {
    public static final OsUsers NONE = new OsUsers(Map.of());

    private final Map<Integer, String> names;

    private OsUsers(Map<Integer, String> names) {
        this.names = Map.copyOf(names);
    }

    /** The user of {@code uid}, or null. */
    public String name(int uid) {
        return names.get(uid);
    }

    public static OsUsers read(Path passwd, List<String> warnings) {
        try {
            return parse(HbaRules.readLines(passwd));
        } catch (IOException e) {
            warnings.add("peer authentication: cannot read " + passwd + ": " + e.getMessage());
            return NONE;
        }
    }

    static OsUsers parse(List<String> lines) {
        Map<Integer, String> names = new HashMap<>();
        for (String line : lines) {
            String[] f = line.split(":", 4);
            if (f.length < 3 || f[0].isEmpty()) {
                continue;
            }
            try {
                names.putIfAbsent(Integer.parseInt(f[2]), f[0]); // getpwuid returns the first entry
            } catch (NumberFormatException e) {
                // not a passwd line
            }
        }
        return new OsUsers(names);
    }
}
