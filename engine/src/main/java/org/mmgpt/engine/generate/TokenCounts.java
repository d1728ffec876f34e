package org.mmgpt.engine.generate;

import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/** The token ids a sequence holds so far, for the repetition, presence and frequency penalties. */
public final class TokenCounts {
    private final Set<Integer> seen = new LinkedHashSet<>();
    private final Map<Integer, Integer> generated = new HashMap<>();

    public TokenCounts(long[] prompt) {
        for (long id : prompt) {
            seen.add((int) id);
        }
    }

    public void addGenerated(int id) {
        seen.add(id);
        generated.merge(id, 1, Integer::sum);
    }

    /** Every id in the prompt or the output. */
    public Set<Integer> seen() {
        return seen;
    }

    /** Ids of the output alone. */
    public Set<Integer> generatedIds() {
        return generated.keySet();
    }

    public int generated(int id) {
        return generated.getOrDefault(id, 0);
    }
}
