package dev.poolctl.cli.output;

/** How {@code show} prints a result: psql-like aligned table, RFC 4180 CSV, or a JSON array of objects. */
public enum OutputFormat {
    table, csv, json
}
