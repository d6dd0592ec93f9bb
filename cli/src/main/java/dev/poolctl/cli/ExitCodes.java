package dev.poolctl.cli;

/** The exit codes every command uses; --help lists them (HelpText.properties). */
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
}
