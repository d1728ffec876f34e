package org.mmgpt.engine.cli;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mmgpt.engine.Djl;

/** {@code ./mmgpt <command> [options]}: the engine's command line. */
public final class Main {
    private static final List<Command> COMMANDS = List.of(
            new LogitsCommand(),
            new GenerateCommand(),
            new ChatCommand(),
            new BatchCommand(),
            new TemplateCommand(),
            new InitModelCommand(),
            new BenchGenerateCommand(),
            new BenchTrainCommand(),
            new TrainCommand(),
            new MergeCommand());

    private Main() {}

    public static void main(String[] argv) {
        Djl.init();
        System.exit(run(argv));
    }

    static int run(String[] argv) {
        Map<String, Command> byName = new LinkedHashMap<>();
        COMMANDS.forEach(c -> byName.put(c.name(), c));
        if (argv.length == 0 || argv[0].equals("--help") || argv[0].equals("-h")) {
            System.err.println(overview(byName));
            return argv.length == 0 ? 2 : 0;
        }
        Command command = byName.get(argv[0]);
        if (command == null) {
            System.err.println("error: unknown command '" + argv[0] + "'\n\n" + overview(byName));
            return 2;
        }
        Args args = command.options();
        String[] rest = java.util.Arrays.copyOfRange(argv, 1, argv.length);
        if (List.of(rest).contains("--help") || List.of(rest).contains("-h")) {
            System.out.println(args.usage());
            return 0;
        }
        try {
            args.parse(rest);
            command.run(args);
            return 0;
        } catch (Args.UsageException e) {
            System.err.println("error: " + e.getMessage() + "\n\n" + args.usage());
            return 2;
        } catch (IllegalArgumentException | IllegalStateException | java.io.IOException e) {
            System.err.println("error: " + e.getMessage());
            return 1;
        } catch (Exception e) {
            System.err.println("error: " + e);
            e.printStackTrace();
            return 1;
        }
    }

    private static String overview(Map<String, Command> commands) {
        StringBuilder sb = new StringBuilder("usage: mmgpt <command> [options]   (mmgpt <command> --help)\n\ncommands:\n");
        commands.values().forEach(c -> {
            String usage = c.options().usage();
            String summary = usage.lines().skip(1).findFirst().orElse("").trim();
            sb.append(String.format("  %-16s %s%n", c.name(), summary));
        });
        return sb.toString();
    }
}
