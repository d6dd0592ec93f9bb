package dev.poolctl.cli.commands;

import dev.poolctl.cli.mixin.FleetOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code poolctl resume}: the console's RESUME. */
@Command(name = "resume")
public final class Resume extends ArgumentCommand {
    @Parameters(arity = "0..1", paramLabel = "DB", descriptionKey = "DB")
    String db;

    @Mixin
    FleetOptions fleet;

    @Override
    protected FleetOptions fleetOptions() {
        return fleet;
    }

    @Override
    protected String verb() {
        return "RESUME";
    }

    @Override
    protected String argument() {
        return db;
    }
}
