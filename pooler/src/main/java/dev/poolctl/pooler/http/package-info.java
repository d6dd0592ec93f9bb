/**
 * The HTTP listener ({@code http_listen_addr:http_listen_port}, off by default): {@code /metrics} in Prometheus text
 * format with pgbouncer_exporter's names, {@code /stats} as JSON, and the {@code /healthz} and {@code /readyz}
 * probes. It runs on the daemon's own event loops and reads pools only through the console's SHOW code
 * ({@code admin.ShowTables}); it knows no pool or connection type.
 */
package dev.poolctl.pooler.http;
