package dev.poolctl.tui.input;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.googlecode.lanterna.input.KeyStroke;
import com.googlecode.lanterna.input.KeyType;
import java.util.Arrays;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class KeyBindingsTest {
    @Test
    void keysMapToActions() {
        KeyBindings k = KeyBindings.defaults(false);
        assertEquals(Optional.of(Action.VIEW_STATS), k.action(new KeyStroke('4', false, false)));
        assertEquals(Optional.of(Action.NEXT_VIEW), k.action(new KeyStroke(KeyType.Tab)));
        assertEquals(Optional.of(Action.QUIT), k.action(new KeyStroke('c', true, false)), "Ctrl-C");
        assertEquals(Optional.of(Action.RECONNECT), k.action(new KeyStroke('c', false, false)), "plain c");
        assertEquals(Optional.of(Action.KILL), k.action(new KeyStroke('K', false, false)));
        assertEquals(Optional.of(Action.FREEZE), k.action(new KeyStroke(' ', false, false)));
        assertEquals(Optional.empty(), k.action(new KeyStroke('z', false, false)));
    }

    @Test
    void helpListsEveryBoundActionOnce() {
        KeyBindings k = KeyBindings.defaults(false);
        assertEquals(Action.values().length, k.help().size());
        assertTrue(k.help().stream().anyMatch(h -> h[0].equals("Up, k") && h[1].equals("select previous row")));
    }

    @Test
    void readonlyHasNoActionThatChangesThePooler() {
        KeyBindings k = KeyBindings.defaults(true);
        assertEquals(Optional.empty(), k.action(new KeyStroke('p', false, false)));
        assertEquals(Optional.empty(), k.action(new KeyStroke('K', false, false)));
        for (Action a : Action.values()) {
            assertEquals(!a.changesPooler(), k.bound(a), a.name());
        }
        assertFalse(k.help().stream().map(Arrays::toString).anyMatch(s -> s.contains("PAUSE")));
    }
}
