package dev.poolctl.tui.source;

import java.util.ArrayList;
import java.util.List;

/**
 * Control commands on a fleet: on every instance, or on the one the dashboard shows alone. The answer says how
 * many took it and names each that did not.
 */
public final class FleetConsoleActions implements ConsoleActions {
    private final List<String> names;
    private final List<ConsoleActions> instances;

    public FleetConsoleActions(List<String> names, List<ConsoleActions> instances) {
        this.names = List.copyOf(names);
        this.instances = List.copyOf(instances);
    }

    @Override
    public String run(String command) throws Exception {
        return run(command, null);
    }

    @Override
    public String run(String command, String instance) throws Exception {
        List<String> failed = new ArrayList<>();
        String tag = "";
        int done = 0;
        int asked = 0;
        for (int i = 0; i < names.size(); i++) {
            if (instance != null && !instance.equals(names.get(i))) {
                continue;
            }
            asked++;
            try {
                tag = instances.get(i).run(command);
                done++;
            } catch (Exception e) {
                failed.add(names.get(i) + ": " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
            }
        }
        if (asked == 0) {
            throw new IllegalArgumentException("no instance " + instance + " in the fleet");
        }
        if (done == 0) {
            throw new Exception(String.join("; ", failed));
        }
        return tag + " on " + done + " of " + asked + (failed.isEmpty() ? "" : "; " + String.join("; ", failed));
    }
}
