package dev.poolctl.pooler.config;

/**
 * PgBouncer 1.24's {@code load_balance_hosts}: which host of a {@code host=a,b,c} list a new server connection goes
 * to.
 */
public enum LoadBalanceHosts {
    /** The next host of the list for each new connection. */
    ROUND_ROBIN("round-robin"),
    /** The same host until a connection to it fails, then the next one: the list is in order of preference. */
    DISABLE("disable");

    private final String text;

    LoadBalanceHosts(String text) {
        this.text = text;
    }

    /** PgBouncer's spelling, exactly (as its config parser: lower case). */
    public static LoadBalanceHosts parse(String value) {
        for (LoadBalanceHosts v : values()) {
            if (v.text.equals(value)) {
                return v;
            }
        }
        throw new IllegalArgumentException("invalid value '" + value + "': expected round-robin or disable");
    }

    @Override
    public String toString() {
        return text;
    }
}
