package dev.poolctl.client;

import java.io.IOException;

/** No connection could be opened to the pooler (refused, timed out, no such socket or host). */
public final class ConnectFailedException extends IOException {
    private static final long serialVersionUID = 1L;

    public ConnectFailedException(String message, Throwable cause) {
        super(message, cause);
    }
}
