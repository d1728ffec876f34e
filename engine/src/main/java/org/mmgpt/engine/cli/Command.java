package org.mmgpt.engine.cli;

/** One {@code mmgpt} subcommand: its options, and what it does with them. */
interface Command {
    String name();

    /** The declared options (a fresh, unparsed set). */
    Args options();

    void run(Args args) throws Exception;
}
