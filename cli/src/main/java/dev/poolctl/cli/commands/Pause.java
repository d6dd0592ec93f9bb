package dev.poolctl.cli.commands;

import dev.poolctl.cli.mixin.FleetOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code poolctl pause}: the console's PAUSE. */
@Command(
        name = "pause",
        description = {"Pause all databases, or one: wait until every server is released, then close them.",
            "Returns when the pause is complete (RESUME undoes it)."},
        footer = {"", "Examples:", "  poolctl pause", "  poolctl pause appdb --timeout 60",
            "  poolctl pause appdb --target 10.0.0.1:6432 --target 10.0.0.2:6432   (asks once for both)"})
public final class Pause extends ArgumentCommand {
    @Parameters(arity = "0..1", paramLabel = "DB", description = "only this database (default: all)")
    String db;

    @Mixin
    FleetOptions fleet;

    @Override
    protected FleetOptions fleetOptions() {
        return fleet;
    }

    @Override
    protected String verb() {
        return "PAUSE";
    }

    @Override
    protected String argument() {
        return db;
    }
}
