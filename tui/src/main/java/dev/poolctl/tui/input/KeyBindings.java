package dev.poolctl.tui.input;

import com.googlecode.lanterna.input.KeyStroke;
import com.googlecode.lanterna.input.KeyType;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Keys as data (gitui's KeysList, ttop's KeyMap): one table maps keys to actions and also writes the help screen
 * and the hint line, so they cannot disagree.
 */
public final class KeyBindings {
    /** One key: a character, or a special key with {@code character} null. */
    public record Binding(String label, KeyType type, Character character, boolean ctrl, Action action) {
        boolean matches(KeyStroke k) {
            if (k.getKeyType() != type) {
                return false;
            }
            return type != KeyType.Character || (character.equals(k.getCharacter()) && ctrl == k.isCtrlDown());
        }
    }

    private final List<Binding> bindings;

    private KeyBindings(List<Binding> bindings) {
        this.bindings = List.copyOf(bindings);
    }

    /** The default keys; without the actions that change the pooler when {@code readonly}. */
    public static KeyBindings defaults(boolean readonly) {
        List<Binding> b = new ArrayList<>();
        b.add(ch('1', Action.VIEW_POOLS));
        b.add(ch('2', Action.VIEW_CLIENTS));
        b.add(ch('3', Action.VIEW_SERVERS));
        b.add(ch('4', Action.VIEW_STATS));
        b.add(ch('5', Action.VIEW_DATABASES));
        b.add(ch('6', Action.VIEW_CONFIG));
        b.add(ch('7', Action.VIEW_HAZARDS));
        b.add(ch('8', Action.VIEW_FLEET));
        b.add(ch('.', Action.STEP));
        b.add(special("Tab", KeyType.Tab, Action.NEXT_VIEW));
        b.add(special("Enter", KeyType.Enter, Action.WHY));
        b.add(special("Up", KeyType.ArrowUp, Action.UP));
        b.add(ch('k', Action.UP));
        b.add(special("Down", KeyType.ArrowDown, Action.DOWN));
        b.add(ch('j', Action.DOWN));
        b.add(special("PgUp", KeyType.PageUp, Action.PAGE_UP));
        b.add(special("PgDn", KeyType.PageDown, Action.PAGE_DOWN));
        b.add(ch('/', Action.FILTER));
        b.add(ch('s', Action.SORT));
        b.add(ch('S', Action.REVERSE_SORT));
        b.add(ch('+', Action.SLOWER));
        b.add(ch('-', Action.FASTER));
        b.add(new Binding("Space", KeyType.Character, ' ', false, Action.FREEZE));
        b.add(ch('?', Action.HELP));
        b.add(ch('q', Action.QUIT));
        b.add(new Binding("Ctrl-C", KeyType.Character, 'c', true, Action.QUIT));
        b.add(ch('p', Action.PAUSE));
        b.add(ch('r', Action.RESUME));
        b.add(ch('R', Action.RELOAD));
        b.add(ch('c', Action.RECONNECT));
        b.add(ch('K', Action.KILL));
        if (readonly) {
            b.removeIf(x -> x.action().changesPooler());
        }
        return new KeyBindings(b);
    }

    private static Binding ch(char c, Action a) {
        return new Binding(String.valueOf(c), KeyType.Character, c, false, a);
    }

    private static Binding special(String label, KeyType type, Action a) {
        return new Binding(label, type, null, false, a);
    }

    public Optional<Action> action(KeyStroke key) {
        return bindings.stream().filter(b -> b.matches(key)).map(Binding::action).findFirst();
    }

    public boolean bound(Action a) {
        return bindings.stream().anyMatch(b -> b.action() == a);
    }

    /** Help lines: every action once, with all its keys, e.g. {@code Up, k   select previous row}. */
    public List<String[]> help() {
        List<String[]> out = new ArrayList<>();
        for (Action a : Action.values()) {
            List<String> keys = bindings.stream().filter(b -> b.action() == a).map(Binding::label).toList();
            if (!keys.isEmpty()) {
                out.add(new String[] {String.join(", ", keys), a.description()});
            }
        }
        return out;
    }

    /** The first key of {@code a}, for the hint line. */
    public String keyOf(Action a) {
        return bindings.stream().filter(b -> b.action() == a).map(Binding::label).findFirst().orElse("");
    }
}
