package dev.poolctl.cli.commands;

import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code poolctl completion bash|zsh}: a completion script generated from the command model (picocli). */
@Command(name = "completion", mixinStandardHelpOptions = true)
public final class Completion implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "SHELL", descriptionKey = "SHELL")
    String shell;

    @Override
    public Integer call() {
        String script = AutoComplete.bash("poolctl", spec.root().commandLine());
        switch (shell) {
            case "bash" -> spec.commandLine().getOut().print(script);
            case "zsh" -> spec.commandLine().getOut().print("autoload -U +X bashcompinit && bashcompinit\n" + script);
            default -> {
                spec.commandLine().getErr().println("poolctl completion: unknown shell '" + shell + "' (bash or zsh)");
                return 2;
            }
        }
        return 0;
    }
}
