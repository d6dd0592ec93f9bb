package dev.poolctl.tui.source;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ShowTest {
    @Test
    void hazardsAreAskedOnlyOfPoolctl() {
        assertTrue(Show.HAZARDS.askedOf("poolctl 0.1.0"));
        assertFalse(Show.HAZARDS.askedOf("PgBouncer 1.18.0"));
        for (Show s : Show.values()) {
            assertTrue(s == Show.HAZARDS || s.askedOf("PgBouncer 1.18.0"), s.name());
        }
    }
}
