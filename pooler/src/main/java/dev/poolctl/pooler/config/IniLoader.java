package dev.poolctl.pooler.config;

import dev.poolctl.pooler.config.IniPreprocessor.Origin;

import org.ini4j.Config;
import org.ini4j.InvalidFileFormatException;
import org.ini4j.spi.IniHandler;
import org.ini4j.spi.IniParser;

import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Loads a {@code pgbouncer.ini} as PgBouncer reads it; the only class that touches ini4j.
 *
 * <p>File syntax, as in PgBouncer:
 * <ul>
 *   <li>{@code [section]} headers; {@code key = value} lines where the value is the rest of the line, trimmed, and
 *       may be empty or contain spaces, {@code =}, quotes, {@code ;}, {@code #} and backslashes, all kept as
 *       written (no escapes, no line continuation, no inline comments);</li>
 *   <li>comment lines start with {@code ;} or {@code #};</li>
 *   <li>{@code %include filename} reads another file in place. A relative name is looked for in the working
 *       directory, as PgBouncer does, and then in the directory of the including file. Includes nest at most
 *       {@value IniPreprocessor#MAX_INCLUDE_DEPTH} deep;</li>
 *   <li>{@code [pgbouncer]} keys are case-insensitive; database and user names are case-sensitive and may be
 *       quoted with {@code "} (with {@code ""} for a quote inside).</li>
 * </ul>
 *
 * <p>Sections: {@code [pgbouncer]} (required, see {@link Setting}), {@code [databases]} (see
 * {@link DatabaseConfig}), {@code [users]} (see {@link UserConfig}) and {@code [peers]} (see {@link PeerConfig}).
 * A key that appears twice keeps its last value.
 *
 * <p>Errors: a syntax error or a bad value makes the whole load fail with a {@link ConfigException} naming the
 * file, section and key, e.g. {@code pgbouncer.ini: [pgbouncer] max_client_conn: invalid integer 'abc'}.
 * <b>Deliberate difference from PgBouncer:</b> an unknown {@code [pgbouncer]} key or an unknown section is a
 * warning ({@code unknown parameter: pgbouncer/<key> in <file>}), where PgBouncer refuses to start. This lets an
 * ini written for a newer PgBouncer load, and the warning still tells the operator.
 */
public final class IniLoader {
    private static final String PGBOUNCER = "pgbouncer";
    private static final String DATABASES = "databases";
    private static final String USERS = "users";
    private static final String PEERS = "peers";

    /**
     * A loaded configuration and the warnings met on the way, for the caller to log.
     *
     * @param warnings human-readable, each naming the file it is about
     * @param settingOrigins {@code file:line} of each {@code [pgbouncer]} key set in a file (the last one wins);
     *     keys at their default are absent
     * @param databaseOrigins {@code file:line} of each {@code [databases]} entry, by name
     */
    public record LoadResult(PoolerConfig config, List<String> warnings, Map<Setting, String> settingOrigins,
            Map<String, String> databaseOrigins) {
        public LoadResult {
            warnings = List.copyOf(warnings);
            Map<Setting, String> origins = new EnumMap<>(Setting.class);
            origins.putAll(settingOrigins);
            settingOrigins = Collections.unmodifiableMap(origins);
            databaseOrigins = Collections.unmodifiableMap(new LinkedHashMap<>(databaseOrigins));
        }

        /** Without origins, for callers that build a result by hand. */
        public LoadResult(PoolerConfig config, List<String> warnings) {
            this(config, warnings, Map.of(), Map.of());
        }
    }

    /** One content line as ini4j reported it; {@code key} is null for a section header. */
    private record Line(String section, String key, String value, Origin origin) {
    }

    private IniLoader() {
    }

    /**
     * Reads {@code file} with its includes and builds the configuration.
     *
     * @throws ConfigException if a file cannot be read, has a syntax error, or holds a bad value
     */
    public static LoadResult load(Path file) throws ConfigException {
        IniPreprocessor source = IniPreprocessor.expand(file);
        List<Line> lines = parse(source);

        List<String> warnings = new ArrayList<>();
        Map<Setting, String> settings = new EnumMap<>(Setting.class);
        Map<String, DatabaseConfig> databases = new LinkedHashMap<>();
        Map<String, UserConfig> users = new LinkedHashMap<>();
        Map<Setting, String> settingOrigins = new EnumMap<>(Setting.class);
        Map<String, String> databaseOrigins = new LinkedHashMap<>();
        boolean sawMainSection = false;
        Map<Integer, PeerConfig> peers = new LinkedHashMap<>();

        for (Line line : lines) {
            String where = line.origin().file() + ": [" + line.section() + "] ";
            if (line.key() == null) {
                switch (line.section()) {
                    case PGBOUNCER -> sawMainSection = true;
                    case DATABASES, USERS, PEERS -> { }
                    default -> warnings.add("unknown section [" + line.section() + "] in " + line.origin().file()
                            + "; ignored");
                }
                continue;
            }
            String name = source.name(line.key());
            switch (line.section()) {
                case PGBOUNCER -> {
                    Setting setting = Setting.fromKey(name).orElse(null);
                    if (setting == null) {
                        warnings.add("unknown parameter: pgbouncer/" + name + " in " + line.origin().file());
                        continue;
                    }
                    try {
                        setting.normalize(line.value());
                    } catch (IllegalArgumentException e) {
                        throw new ConfigException(where + name + ": " + e.getMessage(), e);
                    }
                    settings.put(setting, line.value());
                    settingOrigins.put(setting, line.origin().toString());
                }
                case DATABASES -> {
                    if (PGBOUNCER.equals(name)) {
                        throw new ConfigException(where + name
                                + ": the database name \"pgbouncer\" is reserved for the admin console");
                    }
                    try {
                        databases.put(name, DatabaseConfig.parse(name, line.value(),
                                warning -> warnings.add(where + name + ": " + warning)));
                        databaseOrigins.put(name, line.origin().toString());
                    } catch (IllegalArgumentException e) {
                        throw new ConfigException(where + name + ": " + e.getMessage(), e);
                    }
                }
                case USERS -> {
                    try {
                        users.put(name, UserConfig.parse(name, line.value(),
                                warning -> warnings.add(where + name + ": " + warning)));
                    } catch (IllegalArgumentException e) {
                        throw new ConfigException(where + name + ": " + e.getMessage(), e);
                    }
                }
                case PEERS -> {
                    try {
                        PeerConfig peer = PeerConfig.parse(name, line.value());
                        peers.put(peer.id(), peer);
                    } catch (IllegalArgumentException e) {
                        throw new ConfigException(where + name + ": " + e.getMessage(), e);
                    }
                }
                default -> {
                    // Already warned about at the section header.
                }
            }
        }

        if (!sawMainSection) {
            // PgBouncer refuses such a file too ("main section missing from config file").
            throw new ConfigException(file + ": the main section [pgbouncer] is missing");
        }
        GeneralSettings general;
        try {
            general = GeneralSettings.of(settings);
        } catch (IllegalArgumentException e) {
            // Not reached: every value was checked above, where its file is known.
            throw new ConfigException(file + ": " + e.getMessage(), e);
        }
        return new LoadResult(new PoolerConfig(file, general, databases, users, peers), warnings, settingOrigins,
                databaseOrigins);
    }

    /** Runs ini4j over the expanded text and pairs each reported line with its origin. */
    private static List<Line> parse(IniPreprocessor source) throws ConfigException {
        // PgBouncer's syntax has no escapes, continuation lines, ini4j includes or keys outside a section.
        Config config = new Config();
        config.setEscape(false);
        config.setEscapeNewline(false);
        config.setInclude(false);
        config.setGlobalSection(false);
        config.setEmptyOption(false);
        config.setEmptySection(true);
        config.setUnnamedSection(false);
        config.setMultiOption(true);
        config.setMultiSection(true);
        config.setLowerCaseOption(false);
        config.setLowerCaseSection(false);

        List<Origin> origins = source.contentLines();
        List<Line> lines = new ArrayList<>();
        IniHandler handler = new IniHandler() {
            private String section;

            @Override
            public void startSection(String name) {
                section = name;
                lines.add(new Line(name, null, null, origins.get(lines.size())));
            }

            @Override
            public void handleOption(String name, String value) {
                lines.add(new Line(section, name, value == null ? "" : value, origins.get(lines.size())));
            }

            @Override
            public void startIni() {
            }

            @Override
            public void endIni() {
            }

            @Override
            public void endSection() {
            }

            @Override
            public void handleComment(String comment) {
            }
        };
        try {
            IniParser.newInstance(config).parse(new StringReader(source.text()), handler);
        } catch (InvalidFileFormatException e) {
            // Not expected: IniPreprocessor rejects what ini4j would. ini4j stopped at the content line after the
            // last one it reported; its own line number counts the expanded text, so name the origin as well.
            String where = lines.size() < origins.size() ? origins.get(lines.size()).toString() : "configuration";
            throw new ConfigException(where + ": syntax error: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new ConfigException("cannot parse configuration: " + e, e);
        }
        if (lines.size() != origins.size()) {
            throw new IllegalStateException("ini4j reported " + lines.size() + " lines, expected " + origins.size());
        }
        return lines;
    }
}
