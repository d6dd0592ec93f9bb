package dev.poolctl.cli.mixin;

import dev.poolctl.pooler.config.ConfigException;
import dev.poolctl.pooler.config.IniLoader;
import dev.poolctl.pooler.config.PeerConfig;
import dev.poolctl.pooler.config.PoolerConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import picocli.CommandLine.Option;

/**
 * Several poolers at once (a fleet: instances behind one address, replicas of a Deployment): {@code --target
 * HOST:PORT} repeated, a file of them, or every {@code [peers]} entry of the {@code -c} config. The user and
 * password rules of the connection options apply to each instance.
 */
public final class FleetOptions {
    /** More instances than this is a mistake in a file, not a fleet one terminal can show. */
    public static final int MAX_INSTANCES = 256;
    static final long MAX_FILE_BYTES = 1L << 20;

    @Option(names = "--target", paramLabel = "HOST:PORT")
    List<String> targets = new ArrayList<>();

    @Option(names = "--targets", paramLabel = "FILE")
    Path targetsFile;

    @Option(names = "--peers")
    boolean peers;

    @Option(names = "--yes")
    boolean yes;

    /** Whether --yes was given. */
    public boolean yes() {
        return yes;
    }

    /** One instance's address. */
    public record Instance(String host, int port) {
        @Override
        public String toString() {
            return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
        }
    }

    /** Whether any fleet option was given: the command then runs on every instance. */
    public boolean given() {
        return !targets.isEmpty() || targetsFile != null || peers;
    }

    /** The instances in the order given, each once. */
    public List<Instance> instances(Path config, Instance self) throws AdminConnectionOptions.OptionsException {
        Set<Instance> out = new LinkedHashSet<>();
        for (String t : targets) {
            out.add(parse(t, "--target"));
        }
        if (targetsFile != null) {
            List<String> lines;
            try {
                if (Files.size(targetsFile) > MAX_FILE_BYTES) {
                    throw new AdminConnectionOptions.OptionsException(targetsFile + " is larger than 1 MB");
                }
                lines = Files.readAllLines(targetsFile, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new AdminConnectionOptions.OptionsException("cannot read " + targetsFile + ": " + e.getMessage());
            }
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i);
                int hash = line.indexOf('#');
                String entry = (hash >= 0 ? line.substring(0, hash) : line).trim();
                if (!entry.isEmpty()) {
                    out.add(parse(entry, targetsFile + " line " + (i + 1)));
                }
            }
        }
        if (peers) {
            if (config == null) {
                throw new AdminConnectionOptions.OptionsException("--peers needs -c FILE: the config whose [peers]"
                        + " to use");
            }
            PoolerConfig loaded;
            try {
                loaded = IniLoader.load(config).config();
            } catch (ConfigException e) {
                throw new AdminConnectionOptions.OptionsException("cannot use " + config + ": " + e.getMessage());
            }
            out.add(self);
            for (PeerConfig p : loaded.peers().values()) {
                out.add(new Instance(p.host(), p.port()));
            }
        }
        if (out.size() > MAX_INSTANCES) {
            throw new AdminConnectionOptions.OptionsException(out.size() + " instances: at most " + MAX_INSTANCES);
        }
        return List.copyOf(out);
    }

    /** {@code host:port}, {@code [v6]:port} or {@code /socket/dir:port}. */
    static Instance parse(String text, String where) throws AdminConnectionOptions.OptionsException {
        String t = text.trim();
        int colon = t.lastIndexOf(':');
        if (colon <= 0 || colon == t.length() - 1) {
            throw new AdminConnectionOptions.OptionsException(where + ": '" + text + "' is not HOST:PORT");
        }
        String host = t.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(t.substring(colon + 1));
        } catch (NumberFormatException e) {
            port = -1;
        }
        if (port < 1 || port > 65535 || host.isEmpty() || host.chars().anyMatch(Character::isWhitespace)) {
            throw new AdminConnectionOptions.OptionsException(where + ": '" + text + "' is not HOST:PORT");
        }
        return new Instance(host, port);
    }
}
