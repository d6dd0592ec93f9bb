package dev.poolctl.tui.source;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import org.junit.jupiter.api.Test;

class ShowTest {
    @Test
    void poolctlsOwnListsAreAskedOnlyOfPoolctl() {
        Set<Show> poolctlOnly = Set.of(Show.HAZARDS, Show.HISTOGRAMS, Show.WAITS, Show.STATE);
        for (Show s : poolctlOnly) {
            assertTrue(s.askedOf("poolctl 0.1.0"), s.name());
            assertFalse(s.askedOf("PgBouncer 1.18.0"), s.name());
        }
        for (Show s : Show.values()) {
            assertTrue(poolctlOnly.contains(s) || s.askedOf("PgBouncer 1.18.0"), s.name());
        }
    }
}
