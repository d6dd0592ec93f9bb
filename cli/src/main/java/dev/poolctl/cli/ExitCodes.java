package dev.poolctl.cli;

/** The exit codes every command uses; listed in --help. */
public final class ExitCodes {
    private ExitCodes() {}

    public static final int OK = 0;
    public static final int ERROR = 1;
    public static final int USAGE = 2;
    /** The config file is invalid: nothing was started. */
    public static final int CONFIG = 3;
}
