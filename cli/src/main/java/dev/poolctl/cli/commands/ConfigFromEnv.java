package dev.poolctl.cli.commands;

import dev.poolctl.cli.ExitCodes;
import dev.poolctl.cli.Poolctl;
import dev.poolctl.pooler.auth.Userlist;
import dev.poolctl.pooler.config.ConfigException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code poolctl config from-env}: the pgbouncer.ini and auth_file entries {@code start --from-env} would run with. */
@Command(name = "from-env", mixinStandardHelpOptions = true)
public final class ConfigFromEnv implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = {"-c", "--config"}, paramLabel = "FILE")
    Path config;

    @Option(names = "--show-secrets")
    boolean showSecrets;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Path ini = config != null ? config : EnvFiles.DEFAULT_INI;
        EnvFiles.Prepared p;
        try {
            p = EnvFiles.read(ini, ((Poolctl) spec.root().userObject()).env());
        } catch (ConfigException e) {
            err.println("poolctl config from-env: " + e.getMessage());
            return ExitCodes.CONFIG;
        }
        if (p.own()) {
            p.report(err, "poolctl config from-env: ");
        } else {
            p.env().ignored().forEach(line -> err.println("poolctl config from-env: " + line));
            out.println("; " + ini);
            out.print(p.env().ini(showSecrets));
        }
        if (p.authFile() != null && !p.env().users().isEmpty()) {
            out.println();
            out.println("; users added to (or, in a generated file, updated in) " + p.authFile());
            p.env().users().forEach((user, password) ->
                    out.println(Userlist.format(user, showSecrets ? password : "********")));
        }
        return ExitCodes.OK;
    }
}
