package dev.poolctl.pooler.pool;

/** A pool serves one (database, user) pair, as in PgBouncer; the user is the forced user where one is set. */
public record PoolKey(String database, String user) {
    @Override
    public String toString() {
        return database + "/" + user;
    }
}
