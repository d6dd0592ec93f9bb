package dev.poolctl.client;

import java.io.IOException;

/** The pooler asked for a password and none was available (no PGPASSWORD, .pgpass entry or console). */
public final class PasswordRequiredException extends IOException {
    private static final long serialVersionUID = 1L;

    public PasswordRequiredException(String message) {
        super(message);
    }
}
