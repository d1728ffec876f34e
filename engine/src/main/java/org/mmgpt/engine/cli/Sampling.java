package org.mmgpt.engine.cli;

import java.util.ArrayList;
import java.util.List;
import org.mmgpt.engine.chat.ChatTemplate;
import org.mmgpt.engine.generate.SamplingParams;

/** The sampling options every generating command shares, and how they override a model's defaults. */
final class Sampling {
    private Sampling() {}

    static Args declare(Args a) {
        return a.option("max-new-tokens", "N", "256", "tokens to generate at most")
                .flag("greedy", "always take the most likely token")
                .option("temperature", "T", null, "sample at this temperature (0 = greedy)")
                .option("top-p", "P", null, "nucleus sampling mass")
                .option("top-k", "K", null, "sample among the K most likely tokens (0 = all)")
                .option("repetition-penalty", "R", null, "transformers' repetition penalty (1 = off)")
                .option("seed", "S", null, "random seed: the same seed gives the same text")
                .repeatable("stop", "TEXT", "stop before this text (repeatable)");
    }

    /** Parses every sampling option now, so a bad value is a usage error before a model is loaded. */
    static void check(Args a) {
        apply(a, SamplingParams.greedy(1)).build();
    }

    /**
     * The model's defaults (generation_config.json), then the command line: {@code --greedy} wins;
     * any sampling option turns sampling on.
     */
    static SamplingParams.Builder apply(Args a, SamplingParams.Builder b) {
        b.maxNewTokens(a.getInt("max-new-tokens"));
        b.sampling(a.has("temperature") ? a.getFloat("temperature") : null, a.has("top-p") ? a.getFloat("top-p") : null,
                a.has("top-k") ? a.getInt("top-k") : null);
        if (a.has("repetition-penalty")) {
            b.repetitionPenalty(a.getFloat("repetition-penalty"));
        }
        if (a.has("seed")) {
            b.seed(a.getLong("seed"));
        }
        if (a.getBool("greedy")) {
            b.greedy(true);
        }
        b.stopStrings(a.all("stop"));
        return b;
    }

    /** The user's stop strings plus the template's own (e.g. {@code <|im_end|>}). */
    static List<String> withTemplateStops(Args a, ChatTemplate template) {
        List<String> stops = new ArrayList<>(a.all("stop"));
        template.stopStrings().stream().filter(s -> !stops.contains(s)).forEach(stops::add);
        return stops;
    }
}
