package dev.poolctl.tui.model;

/** The conditions the seed's runbook asks operators to watch for. */
public enum AlertKind {
    /** cl_waiting > 0 for longer than the alert delay: the pool is too small or servers are slow. */
    CLIENTS_WAITING("clients waiting"),
    /** sv_active at 80 % of pool_size or more: the next burst will queue. */
    POOL_SATURATED("pool near its size"),
    /**
     * Clients wait and the pool has no server at all, and the database is not paused: server logins are failing
     * (the console has no counter for failed logins, so this is inferred).
     */
    SERVER_LOGIN_FAILING("server logins failing"),
    /**
     * poolctl's SHOW HAZARDS rose: a client did what transaction pooling cannot carry to the next server (session
     * SET, LISTEN, an advisory lock, ...). Held a minute after the last rise.
     */
    HAZARD("hazard"),
    /** The admin console cannot be reached. */
    UNREACHABLE("pooler unreachable");

    private final String label;

    AlertKind(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
