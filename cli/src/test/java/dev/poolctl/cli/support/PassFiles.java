package dev.poolctl.cli.support;

import dev.poolctl.pooler.support.PostgresCluster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/** Password files for the admin commands' tests: mode 0600, as libpq and poolctl require. */
public final class PassFiles {
    private PassFiles() {}

    public static Path write(Path file, String text) throws IOException {
        Files.writeString(file, text);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return file;
    }

    /** {@code dir/pgpass} with md5_user's password for the pgbouncer database. */
    public static Path md5Admin(Path dir) throws IOException {
        return write(dir.resolve("pgpass"), "*:*:pgbouncer:" + PostgresCluster.MD5_USER + ":"
                + PostgresCluster.MD5_PASSWORD + "\n");
    }
}
