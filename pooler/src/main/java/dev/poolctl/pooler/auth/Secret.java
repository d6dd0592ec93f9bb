package dev.poolctl.pooler.auth;

/**
 * A password as PgBouncer finds it in auth_file or from auth_query: plain text, an md5 hash or a SCRAM verifier.
 * The kind decides how the pooler can check a client and whether it can log into the server with it (plain: any
 * method; md5: md5 only; SCRAM: only by pass-through of the client's keys).
 */
public sealed interface Secret permits Secret.Plain, Secret.Md5, Secret.Scram {

    /** Classifies a stored value as PgBouncer does: md5 form, then a well-formed SCRAM secret, else plain text. */
    static Secret of(String userlistValue) {
        if (Md5Password.isMd5Secret(userlistValue)) {
            return new Md5(userlistValue);
        }
        return ScramSecret.parse(userlistValue)
                .<Secret>map(Scram::new)
                .orElseGet(() -> new Plain(userlistValue));
    }

    /**
     * An empty password, or the md5 hash of one: PgBouncer refuses it (its {@code !*user->passwd}), so such a user
     * never logs in with a password. A SCRAM verifier counts as set.
     */
    boolean isEmptyPassword(String user);

    /** A clear-text password. */
    record Plain(String password) implements Secret {
        public Plain {
            if (password == null) {
                throw new NullPointerException("password");
            }
        }

        @Override
        public boolean isEmptyPassword(String user) {
            return password.isEmpty();
        }

        /** Hidden so that logging a secret never prints the password. */
        @Override
        public String toString() {
            return "Plain[password=<hidden>]";
        }
    }

    /** PostgreSQL's md5 form, {@code "md5" + hex(md5(password + user))}. */
    record Md5(String hash) implements Secret {
        public Md5 {
            if (!Md5Password.isMd5Secret(hash)) {
                throw new IllegalArgumentException("not an md5 secret");
            }
        }

        @Override
        public boolean isEmptyPassword(String user) {
            return hash.equals(Md5Password.encrypt("", user));
        }

        /** Hidden: the hash is enough to log into an md5 server, so it is as sensitive as a password. */
        @Override
        public String toString() {
            return "Md5[hash=<hidden>]";
        }
    }

    /** A SCRAM-SHA-256 verifier. */
    record Scram(ScramSecret secret) implements Secret {
        public Scram {
            if (secret == null) {
                throw new NullPointerException("secret");
            }
        }

        @Override
        public boolean isEmptyPassword(String user) {
            return false;
        }
    }
}
