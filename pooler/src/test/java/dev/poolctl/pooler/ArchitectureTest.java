package dev.poolctl.pooler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The layout rules README's architecture section states, checked on the sources: no class over 500 lines, and
 * dependencies one way (session -> admin -> pool -> config; net knows no pooler type; http -> admin).
 */
class ArchitectureTest {
    private static final Path SOURCES = Path.of("src/main/java/dev/poolctl/pooler");
    /** Any reference to a pooler package, imported or written out in full. */
    private static final Pattern IMPORT = Pattern.compile("dev\\.poolctl\\.pooler\\.([a-z]+)\\.");
    /** Packages each package must not import (the other direction of a one-way dependency). */
    private static final Map<String, Set<String>> FORBIDDEN = Map.of(
            "config", Set.of("pool", "session", "admin", "net", "stats", "http"),
            "pool", Set.of("session", "admin", "net", "http"),
            "admin", Set.of("session", "net", "http"),
            "net", Set.of("pool", "session", "admin", "http"),
            "protocol", Set.of("pool", "session", "admin", "net", "config", "http"),
            // http reads pools only through the console's SHOW code (admin.ShowTables), on their loops
            "http", Set.of("pool", "session", "net", "protocol", "stats"));

    private static List<Path> sources() throws IOException {
        assertTrue(Files.isDirectory(SOURCES), "run from the pooler module: " + SOURCES.toAbsolutePath());
        try (Stream<Path> s = Files.walk(SOURCES)) {
            return s.filter(p -> p.toString().endsWith(".java")).toList();
        }
    }

    @Test
    void noClassIsOver500Lines() throws IOException {
        List<String> over = new ArrayList<>();
        for (Path p : sources()) {
            long lines;
            try (Stream<String> l = Files.lines(p)) {
                lines = l.count();
            }
            if (lines > 500) {
                over.add(SOURCES.relativize(p) + ": " + lines);
            }
        }
        assertEquals(List.of(), over);
    }

    @Test
    void dependenciesRunOneWay() throws IOException {
        List<String> wrong = new ArrayList<>();
        for (Path p : sources()) {
            Path rel = SOURCES.relativize(p);
            if (rel.getNameCount() < 2) {
                continue; // the root package (the daemon) wires everything
            }
            Set<String> forbidden = FORBIDDEN.getOrDefault(rel.getName(0).toString(), Set.of());
            Matcher m = IMPORT.matcher(Files.readString(p));
            while (m.find()) {
                if (forbidden.contains(m.group(1))) {
                    wrong.add(rel + " imports " + m.group(1));
                }
            }
        }
        assertEquals(List.of(), wrong);
    }
}
