package org.mmgpt.engine.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.mmgpt.engine.chat.ChatTemplate;
import org.mmgpt.engine.data.QueryData;
import org.mmgpt.engine.data.QueryData.Query;
import org.mmgpt.engine.generate.Generator;
import org.mmgpt.engine.generate.LanguageModel;
import org.mmgpt.engine.generate.SamplingParams;
import org.mmgpt.engine.generate.Sequence;

/**
 * {@code mmgpt batch}: answers every query of a jsonl file and writes {@code {"Input", "Output"}} lines
 * (the seed's {@code inference.py --data_file ... --output_file ...}). Each query is sampled as it would
 * be alone, with the same seed, so its answer equals the one {@code generate --chat} or the server
 * gives it; up to {@code --batch-size} generate at once, the next joining as others finish.
 */
final class BatchCommand implements Command {
    @Override
    public String name() {
        return "batch";
    }

    @Override
    public Args options() {
        return Sampling.declare(new Args(name(), "answer every {\"query\"} / {\"messages\"} line of a jsonl file")
                .option("model", "DIR", null, "Hugging Face model directory", "base-model")
                .option("adapter", "DIR", null, "a PEFT LoRA adapter to apply", "lora-model")
                .option("data-file", "FILE", null, "jsonl: one {\"query\"} or {\"messages\"} a line")
                .option("output-file", "FILE", "predictions_result.jsonl", "jsonl of {\"Input\", \"Output\"}")
                .option("template", "NAME", null, "named template (default: the model's chat_template)", "template-name")
                .option("system", "TEXT", null, "system prompt for conversations without one", "system-prompt")
                .option("batch-size", "N", "8", "queries generating at once", "eval-batch-size"));
    }

    @Override
    public void run(Args a) throws Exception {
        Sampling.check(a);
        int batchSize = a.getInt("batch-size");
        if (batchSize < 1) {
            throw new Args.UsageException("--batch-size must be at least 1, got " + batchSize);
        }
        List<Query> queries = QueryData.load(Path.of(a.require("data-file")));
        Path output = Path.of(a.get("output-file"));
        try (LanguageModel lm = LanguageModel.load(Path.of(a.require("model")),
                a.has("adapter") ? Path.of(a.get("adapter")) : null)) {
            ChatTemplate template = lm.template(a.get("template"));
            SamplingParams params = Sampling.apply(a, lm.defaults())
                    .stopStrings(Sampling.withTemplateStops(a, template)).build();
            int[] done = {0};
            Sequence.Listener progress = new Sequence.Listener() {
                @Override
                public void onFinish(Sequence s) {
                    System.err.printf("\r%d/%d answered", ++done[0], queries.size());
                }
            };
            List<Sequence> sequences = new ArrayList<>();
            for (Query q : queries) {
                sequences.add(lm.sequence(lm.chatPrompt(template, q.withSystem(a.get("system"))), params, progress));
            }
            long t0 = System.nanoTime();
            Generator.run(lm.model(), sequences, batchSize);
            System.err.printf("%n%d queries in %.1f s%n", queries.size(), (System.nanoTime() - t0) / 1e9);
            QueryData.writeAnswers(output, queries, sequences.stream().map(Sequence::text).toList());
            System.out.println("saved " + queries.size() + " answers to " + output);
        }
    }
}
