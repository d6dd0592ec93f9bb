/**
 * Secrets and password exchanges: PgBouncer's {@code auth_file}, PostgreSQL's md5 and SCRAM-SHA-256 stored forms,
 * and both sides of a SCRAM-SHA-256 exchange (the pooler as server for its clients, and as client of PostgreSQL,
 * including SCRAM pass-through).
 *
 * <p>Pure functions and small state machines over {@code String}s and {@code byte[]}s, with no Netty types, so the
 * daemon and the {@code poolctl userlist} command share them. SASL payloads are passed as Java strings: the caller
 * decodes the message bytes as UTF-8 (in practice SCRAM messages are ASCII).
 */
package dev.poolctl.pooler.auth;
