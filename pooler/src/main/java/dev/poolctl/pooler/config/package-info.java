/**
 * Reading {@code pgbouncer.ini}: the {@link dev.poolctl.pooler.config.Setting} table of {@code [pgbouncer]} keys,
 * the immutable {@link dev.poolctl.pooler.config.PoolerConfig} tree built from a file, and
 * {@link dev.poolctl.pooler.config.IniLoader}, the only class that touches ini4j.
 *
 * <p>An existing PgBouncer file loads unchanged: same sections, same connect-string syntax, same defaults (those of
 * PgBouncer's newest release). Where poolctl deliberately differs (an unknown {@code [pgbouncer]} key is a warning,
 * not a fatal error) the class javadoc says so.
 *
 * <p>Nothing here is null unless its javadoc says "or null"; there is no annotation library on the classpath.
 */
package dev.poolctl.pooler.config;
