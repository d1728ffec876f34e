package org.mmgpt.engine.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The options of one command: declared with a name, aliases, a default and a help line, parsed from
 * {@code --name value}, {@code --name=value} or a bare {@code --flag}. Anything undeclared, a missing
 * value or a value of the wrong type is a {@link UsageException} naming it, and the usage is printed.
 */
public final class Args {

    /** A bad command line; the message names what is wrong. */
    public static final class UsageException extends RuntimeException {
        public UsageException(String message) {
            super(message);
        }
    }

    private record Option(String name, List<String> aliases, String valueName, String defaultValue, String help,
                          boolean repeatable, boolean ignored) {
        boolean flag() {
            return valueName == null;
        }
    }

    private final String command;
    private final String summary;
    private final Map<String, Option> options = new LinkedHashMap<>();
    private final Map<String, Option> byName = new LinkedHashMap<>();
    private final Map<String, List<String>> values = new LinkedHashMap<>();
    private final List<String> positionals = new ArrayList<>();

    public Args(String command, String summary) {
        this.command = command;
        this.summary = summary;
    }

    /** An option taking a value; {@code defaultValue} may be null (then it is optional and absent). */
    public Args option(String name, String valueName, String defaultValue, String help, String... aliases) {
        return add(new Option(name, List.of(aliases), valueName, defaultValue, help, false, false));
    }

    /** An option that may be given several times ({@code --set a=1 --set b=2}). */
    public Args repeatable(String name, String valueName, String help) {
        return add(new Option(name, List.of(), valueName, null, help, true, false));
    }

    /**
     * A boolean: {@code --name} alone means true; {@code --name true|false} as the seed's scripts
     * write it works too.
     */
    public Args flag(String name, String help, String... aliases) {
        return add(new Option(name, List.of(aliases), null, "false", help, false, false));
    }

    /**
     * An option of the seed's that means nothing here (DeepSpeed, caches, …): accepted with or without
     * a value, so the seed's scripts run unchanged, and listed by {@link #ignoredGiven()}.
     */
    public Args ignored(String name) {
        return add(new Option(name, List.of(), "IGNORED", null, "accepted for compatibility; has no effect",
                true, true));
    }

    /** A positional argument, in declaration order before any option. */
    public Args positional(String name, String help) {
        positionals.add(name);
        return add(new Option(name, List.of(), name.toUpperCase(java.util.Locale.ROOT), null, help, false, false));
    }

    /** The ignored options the command line gave. */
    public List<String> ignoredGiven() {
        return values.keySet().stream().filter(k -> options.get(k).ignored()).toList();
    }

    private Args add(Option o) {
        options.put(o.name(), o);
        byName.put(o.name(), o);
        o.aliases().forEach(a -> byName.put(a, o));
        return this;
    }

    public Args parse(String[] argv) {
        int positional = 0;
        for (int i = 0; i < argv.length; i++) {
            String a = argv[i];
            if (!a.startsWith("--")) {
                if (positional < positionals.size() && i == positional) {
                    values.put(positionals.get(positional++), new ArrayList<>(List.of(a)));
                    continue;
                }
                throw new UsageException("unexpected argument '" + a + "'");
            }
            String key = a.substring(2);
            String inline = null;
            int eq = key.indexOf('=');
            if (eq >= 0) {
                inline = key.substring(eq + 1);
                key = key.substring(0, eq);
            }
            Option o = byName.get(key.replace('_', '-'));
            if (o == null) {
                throw new UsageException("unknown option --" + key);
            }
            String value;
            if (o.ignored()) {
                value = inline != null ? inline
                        : i + 1 < argv.length && !argv[i + 1].startsWith("--") ? argv[++i] : "";
            } else if (o.flag()) {
                if (inline != null) {
                    value = inline;
                } else if (i + 1 < argv.length && (argv[i + 1].equals("true") || argv[i + 1].equals("false"))) {
                    value = argv[++i];
                } else {
                    value = "true";
                }
                if (!value.equals("true") && !value.equals("false")) {
                    throw new UsageException("--" + o.name() + " takes true or false, got '" + value + "'");
                }
            } else if (inline != null) {
                value = inline;
            } else if (i + 1 < argv.length) {
                value = argv[++i];
            } else {
                throw new UsageException("--" + o.name() + " needs a value (" + o.valueName() + ")");
            }
            if (!o.repeatable()) {
                values.remove(o.name()); // the last one wins, so a script's defaults can be overridden
            }
            values.computeIfAbsent(o.name(), k -> new ArrayList<>()).add(value);
        }
        return this;
    }

    public boolean has(String name) {
        return values.containsKey(declared(name).name());
    }

    public String get(String name) {
        Option o = declared(name);
        List<String> v = values.get(o.name());
        return v == null ? o.defaultValue() : v.get(0);
    }

    public String require(String name) {
        String v = get(name);
        if (v == null) {
            throw new UsageException("--" + name + " is required");
        }
        return v;
    }

    public List<String> all(String name) {
        return values.getOrDefault(declared(name).name(), List.of());
    }

    public int getInt(String name) {
        return parse(name, Integer::parseInt, "an integer");
    }

    public long getLong(String name) {
        return parse(name, Long::parseLong, "an integer");
    }

    public float getFloat(String name) {
        return parse(name, Float::parseFloat, "a number");
    }

    public double getDouble(String name) {
        return parse(name, Double::parseDouble, "a number");
    }

    public boolean getBool(String name) {
        return Boolean.parseBoolean(require(name));
    }

    /** A comma list of integers, e.g. {@code --ids 618,965,336}. */
    public long[] getIds(String name) {
        String v = require(name);
        String[] parts = v.split(",");
        long[] out = new long[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                out[i] = Long.parseLong(parts[i].trim());
            } catch (NumberFormatException e) {
                throw new UsageException("--" + name + " must be comma-separated token ids, got '" + v + "'");
            }
        }
        return out;
    }

    private <T> T parse(String name, java.util.function.Function<String, T> f, String what) {
        String v = require(name);
        try {
            return f.apply(v.trim());
        } catch (NumberFormatException e) {
            throw new UsageException("--" + name + " must be " + what + ", got '" + v + "'");
        }
    }

    private Option declared(String name) {
        Option o = byName.get(name);
        if (o == null) {
            throw new IllegalStateException("option --" + name + " is not declared for " + command);
        }
        return o;
    }

    public String usage() {
        StringBuilder sb = new StringBuilder();
        sb.append("usage: mmgpt ").append(command);
        positionals.forEach(p -> sb.append(' ').append(options.get(p).valueName()));
        sb.append(" [options]\n  ").append(summary).append("\n\n");
        positionals.forEach(p -> sb.append(String.format("  %-40s %s%n", options.get(p).valueName(), options.get(p).help())));
        sb.append("options:\n");
        for (Option o : options.values()) {
            if (o.ignored() || positionals.contains(o.name())) {
                continue;
            }
            String names = "--" + o.name() + (o.aliases().isEmpty() ? "" : " (--" + String.join(", --", o.aliases()) + ")");
            String left = names + (o.flag() ? "" : " " + o.valueName());
            String def = o.defaultValue() != null && !o.flag() ? " [default: " + o.defaultValue() + "]" : "";
            sb.append(String.format("  %-40s %s%s%n", left, o.help(), def));
        }
        List<String> ignored = options.values().stream().filter(Option::ignored).map(o -> "--" + o.name()).toList();
        if (!ignored.isEmpty()) {
            sb.append("\naccepted and ignored (the seed's distributed/caching options): ")
                    .append(String.join(" ", ignored)).append('\n');
        }
        return sb.toString();
    }
}
