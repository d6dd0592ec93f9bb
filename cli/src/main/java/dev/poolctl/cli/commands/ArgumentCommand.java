package dev.poolctl.cli.commands;

/**
 * A control command of the form {@code VERB [argument]} (PAUSE appdb, KILL_CLIENT 17): the argument is checked to
 * be one word, so it cannot smuggle a second command, and joined to the verb here, once for all of them.
 */
abstract class ArgumentCommand extends ConsoleCommand {
    /** The console verb, e.g. {@code PAUSE}. */
    protected abstract String verb();

    /** The argument from the command line, or null when it was optional and not given. */
    protected abstract String argument();

    /** What the argument names, for the usage error. */
    protected String argumentName() {
        return "database";
    }

    @Override
    protected final String validate() {
        return checkWord(argumentName(), argument());
    }

    @Override
    protected final String sql() {
        return withArg(verb(), argument());
    }
}
