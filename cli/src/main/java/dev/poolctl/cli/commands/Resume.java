package dev.poolctl.cli.commands;

import dev.poolctl.cli.mixin.FleetOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code poolctl resume}: the console's RESUME. */
@Command(
        name = "resume",
        description = {"Resume after pause, kill or suspend (the console's RESUME)."},
        footer = {"", "Examples:", "  poolctl resume", "  poolctl resume appdb",
            "  poolctl resume --peers -c /etc/pgbouncer/pgbouncer.ini --yes"})
public final class Resume extends ArgumentCommand {
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
        return "RESUME";
    }

    @Override
    protected String argument() {
        return db;
    }
}
