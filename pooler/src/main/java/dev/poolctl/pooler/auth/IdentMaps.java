package dev.poolctl.pooler.auth;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * PgBouncer's {@code auth_ident_file}: lines {@code map-name system-user database-user}, where the database user
 * may be {@code all}; no regular expressions, groups or includes (as PgBouncer). Used by hba rules with
 * {@code map=} for the peer and cert methods. Immutable.
 */
public final class IdentMaps {
    /** One entry: a system (OS or certificate) user and the database user it may log in as (null = all). */
    public record Mapping(String systemUser, String databaseUser) {
        public boolean allows(String system, String database) {
            return systemUser.equals(system) && (databaseUser == null || databaseUser.equals(database));
        }
    }

    /** A named map. */
    public record Map(String name, List<Mapping> mappings) {
        public boolean allows(String system, String database) {
            return mappings.stream().anyMatch(m -> m.allows(system, database));
        }
    }

    public static final IdentMaps NONE = new IdentMaps(new LinkedHashMap<>());

    private final java.util.Map<String, Map> maps;

    private IdentMaps(java.util.Map<String, Map> maps) {
        this.maps = java.util.Map.copyOf(maps);
    }

    /** The map of that name, or null. */
    public Map map(String name) {
        return maps.get(name);
    }

    /** Reads the file; an unreadable file gives no maps and a warning (PgBouncer logs the error and goes on). */
    public static IdentMaps load(Path file, List<String> warnings) {
        List<String> lines;
        try {
            lines = HbaRules.readLines(file);
        } catch (IOException e) {
            warnings.add("could not open ident config file " + file + ": " + e.getMessage());
            return NONE;
        }
        return parse(lines, file, warnings);
    }

    static IdentMaps parse(List<String> lines, Path file, List<String> warnings) {
        java.util.Map<String, List<Mapping>> byName = new LinkedHashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            try {
                HbaTokens t = new HbaTokens(lines.get(i));
                if (t.atEnd()) {
                    continue;
                }
                String map = t.keyword();
                if (map == null) {
                    throw new IllegalArgumentException("expected a map name");
                }
                t.next();
                String system = t.name();
                if (system == null) {
                    throw new IllegalArgumentException("expected a system user name");
                }
                t.next();
                String database = "all".equals(t.keyword()) ? null : t.name();
                if (database == null && !"all".equals(t.keyword())) {
                    throw new IllegalArgumentException("expected a database user name");
                }
                t.next();
                if (!t.atEnd()) {
                    throw new IllegalArgumentException("unsupported parameters");
                }
                byName.computeIfAbsent(map, k -> new ArrayList<>()).add(new Mapping(system, database));
            } catch (IllegalArgumentException e) {
                warnings.add(file + ": ident line " + (i + 1) + ": " + e.getMessage() + "; line skipped");
            }
        }
        java.util.Map<String, Map> maps = new LinkedHashMap<>();
        byName.forEach((name, list) -> maps.put(name, new Map(name, List.copyOf(list))));
        return new IdentMaps(maps);
    }
}
