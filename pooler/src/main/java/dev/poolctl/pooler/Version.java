package dev.poolctl.pooler;

/** The product version shown in logs and {@code --version}. */
public final class Version {
    private Version() {}

    public static final String VERSION = "0.1.0";
}
