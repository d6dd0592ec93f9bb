package dev.poolctl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.cli.support.Cli;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/** The help texts live in HelpText.properties: every command has its text there, and every key there is read. */
class HelpTextTest {
    private static final String BUNDLE = "/dev/poolctl/cli/HelpText.properties";
    private static final Set<String> USAGE_KEYS = Set.of("usage.description", "usage.footer", "usage.header",
            "usage.exitCodeList", "usage.exitCodeListHeading");

    @Test
    void everyCommandHasADescriptionAnExampleAndItsExitCodes() {
        List<String> missing = new ArrayList<>();
        for (CommandSpec c : ourCommands()) {
            String name = c.qualifiedName();
            if (c.usageMessage().description().length == 0) {
                missing.add(name + ": no description");
            }
            if (!String.join("\n", c.usageMessage().footer()).contains("Example")) {
                missing.add(name + ": no example");
            }
            if (c.usageMessage().exitCodeList().isEmpty()) {
                missing.add(name + ": no exit codes");
            }
            for (ArgSpec arg : c.args()) {
                if (arg.description().length == 0 || arg.description()[0].isBlank()) {
                    missing.add(name + ": no text for " + label(arg));
                }
            }
        }
        assertEquals(List.of(), missing);
    }

    @Test
    void everyKeyOfTheBundleIsReadByACommand() throws IOException {
        Set<String> readable = new HashSet<>();
        for (CommandSpec c : ourCommands()) {
            String prefix = c.qualifiedName(".") + ".";
            for (String k : USAGE_KEYS) {
                readable.add(prefix + k);
                readable.add(k);
            }
            for (ArgSpec arg : c.args()) {
                String key = key(arg);
                readable.add(prefix + key);
                readable.add(key);
            }
        }
        // picocli's help command: only its exit codes are ours.
        readable.add("poolctl.help.usage.exitCodeList");
        Set<String> unread = new TreeSet<>();
        for (String k : bundle().stringPropertyNames()) {
            String list = k.replaceFirst("\\.\\d+$", "");
            if (!readable.contains(k) && !readable.contains(list)) {
                unread.add(k);
            }
        }
        assertEquals(Set.of(), unread, "keys no command reads (a typo, or a renamed option)");
    }

    @Test
    void theBundlesVariablesAreFilledIn() {
        Cli top = Cli.run("top", "--help");
        assertEquals(0, top.code(), top.toString());
        assertTrue(top.out().contains("time between polls (e.g. 500ms, 2s; default: 1s)"), top.out());
        assertTrue(top.out().contains("  poolctl top -p 6432 -U admin"), "a footer line keeps its indent: " + top.out());
        Cli show = Cli.run("show", "--help");
        assertTrue(show.out().contains("the list: pools,"), "completion candidates are listed: " + show.out());
        Cli status = Cli.run("status", "-?");
        assertTrue(status.out().contains("3   cannot reach the pooler"), "the shared exit codes: " + status.out());
        Cli stop = Cli.run("stop", "--help");
        assertTrue(stop.out().contains("3   not running"), "a command's own exit codes win: " + stop.out());
    }

    private static List<CommandSpec> ourCommands() {
        List<CommandSpec> all = new ArrayList<>();
        collect(new CommandLine(new Poolctl()), all);
        return all;
    }

    private static void collect(CommandLine cl, List<CommandSpec> all) {
        if (cl.getCommand() instanceof CommandLine.HelpCommand) {
            return;
        }
        all.add(cl.getCommandSpec());
        cl.getSubcommands().forEach((name, sub) -> {
            if (name.equals(sub.getCommandName())) {
                collect(sub, all);
            }
        });
    }

    /** The key picocli looks an option or a parameter up by. */
    private static String key(ArgSpec arg) {
        if (arg.descriptionKey() != null && !arg.descriptionKey().isEmpty()) {
            return arg.descriptionKey();
        }
        return ((OptionSpec) arg).longestName().replaceFirst("^-+", "");
    }

    private static String label(ArgSpec arg) {
        return arg instanceof OptionSpec o ? o.longestName() : arg.paramLabel();
    }

    private static Properties bundle() throws IOException {
        Properties p = new Properties();
        try (InputStream in = HelpTextTest.class.getResourceAsStream(BUNDLE)) {
            p.load(in);
        }
        return p;
    }
}
