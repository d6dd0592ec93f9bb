package dev.poolctl.cli.console;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.jline.reader.Candidate;
import org.jline.reader.Completer;
import org.jline.reader.LineReader;
import org.jline.reader.ParsedLine;

/**
 * Tab completion for the console: the command word, then what follows it (the SHOW lists, a database name for the
 * commands that take one, the SHUTDOWN modes). Database names are fetched once when the console starts.
 */
public final class AdminCompleter implements Completer {
    /** The console's commands (PgBouncer's cmd_list, as SHOW HELP lists them). */
    public static final List<String> VERBS = List.of("SHOW", "PAUSE", "RESUME", "RELOAD", "KILL", "KILL_CLIENT",
            "RECONNECT", "DISABLE", "ENABLE", "SUSPEND", "SHUTDOWN", "WAIT_CLOSE", "SET", "DRAIN");

    /** What SHOW accepts (PgBouncer's show_map, as SHOW HELP lists it). */
    public static final List<String> SHOW_TARGETS = List.of("HELP", "CONFIG", "DATABASES", "POOLS", "CLIENTS",
            "SERVERS", "USERS", "VERSION", "PEERS", "PEER_POOLS", "FDS", "SOCKETS", "ACTIVE_SOCKETS", "LISTS", "MEM",
            "STATE", "DNS_HOSTS", "DNS_ZONES", "STATS", "STATS_TOTALS", "STATS_AVERAGES", "TOTALS",
            "HAZARDS", "HISTOGRAMS", "LOGINS", "WAITS");

    /** The commands whose argument is a database name. */
    static final Set<String> TAKES_DATABASE = Set.of("PAUSE", "RESUME", "KILL", "RECONNECT", "DISABLE", "ENABLE",
            "WAIT_CLOSE");

    static final List<String> SHUTDOWN_MODES = List.of("WAIT_FOR_SERVERS", "WAIT_FOR_CLIENTS");

    private final List<String> databases;

    public AdminCompleter(Collection<String> databases) {
        this.databases = List.copyOf(databases);
    }

    /**
     * The candidates for word number {@code wordIndex} (0 = the command word) given the words before it; JLine
     * filters them by what is typed so far.
     */
    public List<String> candidates(List<String> words, int wordIndex) {
        if (wordIndex == 0) {
            return VERBS;
        }
        if (wordIndex != 1 || words.isEmpty()) {
            return List.of();
        }
        String verb = words.get(0).toUpperCase(Locale.ROOT);
        if (verb.equals("SHOW")) {
            return SHOW_TARGETS;
        }
        if (TAKES_DATABASE.contains(verb)) {
            return databases;
        }
        if (verb.equals("SHUTDOWN")) {
            return SHUTDOWN_MODES;
        }
        return List.of();
    }

    @Override
    public void complete(LineReader reader, ParsedLine line, List<Candidate> candidates) {
        List<String> before = new ArrayList<>(line.words().subList(0, Math.min(line.wordIndex(), line.words().size())));
        for (String c : candidates(before, line.wordIndex())) {
            candidates.add(new Candidate(c));
        }
    }
}
