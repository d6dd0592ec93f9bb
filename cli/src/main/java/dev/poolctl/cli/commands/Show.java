package dev.poolctl.cli.commands;

import dev.poolctl.cli.ExitCodes;
import dev.poolctl.client.AdminClient;
import dev.poolctl.client.AdminException;
import dev.poolctl.cli.output.OutputFormat;
import dev.poolctl.cli.output.ResultFormatter;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine;
import dev.poolctl.cli.mixin.AdminConnectionOptions;
import dev.poolctl.cli.mixin.FleetOptions;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code poolctl show WHAT}: one of the console's SHOW commands, as a table, CSV or JSON. */
@Command(name = "show")
public final class Show extends AdminCommand {
    @Mixin
    FleetOptions fleet;

    @Override
    protected FleetOptions fleetOptions() {
        return fleet;
    }

    /**
     * The list from every instance in one table, an {@code instance} column first (columns by name: a PgBouncer's
     * extra or missing ones are blank for the others); an instance that does not answer is named on stderr.
     */
    @Override
    protected int runFleet(List<FleetOptions.Instance> instances)
            throws AdminConnectionOptions.OptionsException, InterruptedException {
        List<FleetRun.Answer<AdminClient.Result>> answers = FleetRun.run(instances, connection,
                defaultTimeoutSeconds(), err(), client -> client.query(what.sql()));
        List<String> columns = new ArrayList<>(List.of("instance"));
        List<Integer> types = new ArrayList<>(List.of(25));
        for (FleetRun.Answer<AdminClient.Result> a : answers) {
            if (!a.ok()) {
                continue;
            }
            for (int i = 0; i < a.value().columns().size(); i++) {
                if (!columns.contains(a.value().columns().get(i))) {
                    columns.add(a.value().columns().get(i));
                    types.add(i < a.value().typeOids().size() ? a.value().typeOids().get(i) : 25);
                }
            }
        }
        List<List<String>> rows = new ArrayList<>();
        for (FleetRun.Answer<AdminClient.Result> a : answers) {
            if (!a.ok()) {
                err().println("poolctl: " + a.instance() + ": " + a.error());
                continue;
            }
            for (List<String> r : a.value().rows()) {
                List<String> row = new ArrayList<>(java.util.Collections.nCopies(columns.size(), (String) null));
                row.set(0, a.instance().toString());
                for (int i = 0; i < a.value().columns().size() && i < r.size(); i++) {
                    row.set(columns.indexOf(a.value().columns().get(i)), r.get(i));
                }
                rows.add(row);
            }
        }
        out().print(ResultFormatter.format(new AdminClient.Result(columns, types, rows, "SHOW", List.of()), format));
        out().flush();
        return FleetRun.exitCode(answers);
    }
    /** The lists {@code show} knows, by their CLI name; the console command is the name in upper case with '_'. */
    public enum What {
        pools, clients, servers, stats, stats_totals, stats_averages, databases, users, config, lists, mem, state,
        version, sockets, active_sockets, totals, hazards, histograms, logins, waits;

        public String sql() {
            return "SHOW " + name().toUpperCase(Locale.ROOT);
        }

        public String cliName() {
            return name().replace('_', '-');
        }
    }

    static final class WhatConverter implements CommandLine.ITypeConverter<What> {
        @Override
        public What convert(String value) {
            String key = value.toLowerCase(Locale.ROOT).replace('-', '_');
            for (What w : What.values()) {
                if (w.name().equals(key)) {
                    return w;
                }
            }
            throw new CommandLine.TypeConversionException("unknown list '" + value + "' (expected one of: "
                    + String.join(", ", new Candidates()) + ")");
        }
    }

    static final class Candidates implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return Arrays.stream(What.values()).map(What::cliName).iterator();
        }
    }

    @Parameters(index = "0", paramLabel = "WHAT", converter = WhatConverter.class,
            completionCandidates = Candidates.class, descriptionKey = "WHAT")
    What what;

    @Option(names = {"-f", "--format"}, paramLabel = "FORMAT", defaultValue = "table")
    OutputFormat format;

    @Option(names = {"-w", "--watch"}, paramLabel = "SECONDS")
    Integer watch;

    @Option(names = "--count", paramLabel = "N")
    Integer count;

    @Override
    protected String validate() {
        if (watch != null && watch < 1) {
            return "--watch must be at least 1 second";
        }
        if (count != null && count < 1) {
            return "--count must be at least 1";
        }
        if (count != null && watch == null) {
            return "--count needs --watch";
        }
        if (watch != null && fleet.given()) {
            return "--watch shows one instance; for a fleet use poolctl top or run show again";
        }
        return null;
    }

    @Override
    protected int run(AdminClient client) throws IOException, AdminException, InterruptedException {
        PrintWriter out = out();
        int rounds = 0;
        while (true) {
            AdminClient.Result r = client.query(what.sql());
            if (watch != null && format == OutputFormat.table) {
                out.println(ZonedDateTime.now().format(DateTimeFormatter.RFC_1123_DATE_TIME) + " (every " + watch
                        + "s)");
                out.println();
            }
            out.print(ResultFormatter.format(r, format));
            printNotices(r);
            out.flush();
            rounds++;
            if (watch == null || (count != null && rounds >= count)) {
                return ExitCodes.OK;
            }
            if (format == OutputFormat.table) {
                out.println();
            }
            Thread.sleep(watch * 1000L);
        }
    }

    /** For tests: the CLI names of the lists. */
    static List<String> names() {
        return Arrays.stream(What.values()).map(What::cliName).toList();
    }
}
