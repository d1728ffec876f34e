package org.mmgpt.engine.cli;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;
import org.mmgpt.engine.Djl;
import org.mmgpt.engine.train.Trainer;
import org.mmgpt.engine.train.TrainingArguments;

/**
 * {@code mmgpt train pt|sft|dpo}: one training stage, locally (the seed's pretraining.py,
 * supervised_finetuning.py and dpo_training.py). The options are the seed's arguments in kebab case.
 */
final class TrainCommand implements Command {
    @Override
    public String name() {
        return "train";
    }

    @Override
    public Args options() {
        Args a = new Args(name(), "run one training stage (PT, SFT or DPO) with LoRA or full fine-tuning")
                .positional("stage", "pt, sft or dpo");
        for (TrainingArguments.Option o : TrainingArguments.OPTIONS) {
            String def = o.ptDefault() == null ? null
                    : o.ptDefault().equals(o.sftDefault()) && o.sftDefault().equals(o.dpoDefault()) ? o.ptDefault()
                    : "pt " + o.ptDefault() + ", sft " + o.sftDefault() + ", dpo " + o.dpoDefault();
            String help = o.help() + (o.stages().size() < 3 ? " (" + String.join("/", o.stages().stream().sorted().toList()) + ")" : "");
            boolean bool = "true".equals(o.ptDefault()) || "false".equals(o.ptDefault());
            String[] aliases = o.alias() == null ? new String[0] : new String[] {o.alias()};
            if (bool) {
                a.flag(o.cliName(), help + (def != null && def.contains("true") ? " [default: " + def + "]" : ""), aliases);
            } else {
                a.option(o.cliName(), "VALUE", def, help, aliases);
            }
        }
        a.option("threads", "N", String.valueOf(Runtime.getRuntime().availableProcessors()), "native compute threads");
        TrainingArguments.IGNORED.stream().sorted().forEach(n -> a.ignored(n.replace('_', '-')));
        return a;
    }

    @Override
    public void run(Args a) throws Exception {
        String stage = a.require("stage");
        Map<String, Object> values = new LinkedHashMap<>();
        for (TrainingArguments.Option o : TrainingArguments.OPTIONS) {
            if (a.has(o.cliName())) {
                values.put(o.name(), a.get(o.cliName()));
            }
        }
        TrainingArguments args;
        try {
            args = TrainingArguments.from(stage, values);
        } catch (IllegalArgumentException e) {
            throw new Args.UsageException(e.getMessage().replace("_", "-"));
        }
        PrintStream err = new PrintStream(System.err, true, StandardCharsets.UTF_8);
        if (!a.ignoredGiven().isEmpty()) {
            err.println("ignored (no effect here): " + a.ignoredGiven().stream().map(n -> "--" + n).collect(Collectors.joining(" ")));
        }
        Djl.setThreads(a.getInt("threads"));
        boolean tty = System.console() != null;
        Trainer.Result r = Trainer.train(args, new Trainer.Listener() {
            @Override
            public void onMessage(String line) {
                err.println((tty ? "\r" : "") + line);
            }

            @Override
            public void onStep(Trainer.Progress p) {
                if (tty) {
                    err.print("\r" + progressLine(p) + "   ");
                }
            }

            @Override
            public void onMetrics(long step, Map<String, Double> m) {
                err.println((tty ? "\r" : "") + "step " + step + ": " + m.entrySet().stream()
                        .map(e -> e.getKey() + "=" + format(e.getValue())).collect(Collectors.joining(" ")));
            }
        }, () -> false);
        err.println((tty ? "\r" : "") + "done: " + r.globalStep() + " steps, train loss " + format(r.trainLoss())
                + (r.evalLoss() != null ? ", eval loss " + format(r.evalLoss()) : "") + " -> " + r.outputDir());
    }

    static String progressLine(Trainer.Progress p) {
        int pct = (int) (100 * p.step() / Math.max(1, p.totalSteps()));
        return String.format("[%3d%%] step %d/%d | loss %.4f | lr %.2e | %.0f tok/s | ETA %s", pct, p.step(),
                p.totalSteps(), p.loss(), p.learningRate(), p.tokensPerSecond(), eta(p.eta()));
    }

    private static String eta(Duration d) {
        long s = d.toSeconds();
        return s >= 3600 ? String.format("%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String.format("%02d:%02d", s / 60, s % 60);
    }

    private static String format(double v) {
        return Math.abs(v) >= 1e-3 && Math.abs(v) < 1e5 ? String.format("%.4f", v) : String.format("%.3e", v);
    }
}
