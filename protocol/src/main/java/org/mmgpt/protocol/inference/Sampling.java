package org.mmgpt.protocol.inference;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.List;

/**
 * How a request wants its text sampled, under OpenAI's (and vLLM's) names. A null field means "the
 * model's default" (its generation_config.json), so every door that leaves a field out samples alike.
 *
 * @param maxTokens         new tokens at most (null: the model's default, within its context)
 * @param temperature       0 is greedy; above 0 samples
 * @param seed              fixes the sampled text; choice i of a request with n &gt; 1 uses seed + i
 * @param stop              generation ends before the first of these strings (not included)
 * @param stopTokenIds      generation also ends on these token ids (the model's eos ids always end it)
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Sampling(Integer maxTokens, Double temperature, Double topP, Integer topK, Double repetitionPenalty,
        Double presencePenalty, Double frequencyPenalty, Long seed, List<String> stop, List<Long> stopTokenIds) {

    public static final Sampling DEFAULTS = new Sampling(null, null, null, null, null, null, null, null, null, null);

    public Sampling {
        stop = stop == null ? List.of() : List.copyOf(stop);
        stopTokenIds = stopTokenIds == null ? List.of() : List.copyOf(stopTokenIds);
    }
}
