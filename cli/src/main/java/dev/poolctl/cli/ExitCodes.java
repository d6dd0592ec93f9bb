package dev.poolctl.cli;

/** The exit codes every command uses; listed in --help. */
public final class ExitCodes {
    private ExitCodes() {}

    public static final int OK = 0;
    public static final int ERROR = 1;
    public static final int USAGE = 2;
    /** {@code start}/{@code stop}: the config file is invalid, nothing was done (an input error, like usage). */
    public static final int CONFIG = 2;
    /** Admin commands: no connection to the pooler (nothing listens, timed out, no such socket). */
    public static final int UNREACHABLE = 3;
    /** Admin commands: the pooler answered with an ErrorResponse (login refused, unknown database, ...). */
    public static final int REFUSED = 4;
    /** Stopped by an interrupt (Ctrl-C), as shells report SIGINT. */
    public static final int INTERRUPTED = 130;

    // The --help lines of the admin commands (compile-time constants, for exitCodeList).
    public static final String HEADING = "%nExit codes:%n";
    public static final String LINE_OK = "0:ok";
    public static final String LINE_ERROR = "1:failed (connection lost, timed out, no password...)";
    public static final String LINE_USAGE = "2:usage error";
    public static final String LINE_UNREACHABLE = "3:cannot reach the pooler";
    public static final String LINE_REFUSED = "4:refused by the pooler (its message and SQLSTATE on stderr)";
}
