package org.mmgpt.engine.generate;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * One prompt being continued: its sampling parameters, random generator, the tokens produced so far,
 * and the stop conditions. A {@link DecodeBatch} feeds it one token per step until it finishes.
 */
public final class Sequence {

    /** Receives a sequence's tokens as they are produced (on the decoding thread). */
    public interface Listener {
        /** {@code textDelta} is "" while text is held back (a split character, a possible stop string). */
        default void onToken(Sequence sequence, int tokenId, String textDelta) {}

        default void onFinish(Sequence sequence) {}
    }

    private final long[] prompt;
    private final SamplingParams params;
    private final SplittableRandom rng;
    private final TokenCounts counts;
    private final Listener listener;
    private final List<Integer> generated = new ArrayList<>();
    private FinishReason finishReason;
    private volatile boolean cancelled;

    public Sequence(long[] prompt, SamplingParams params, Listener listener) {
        if (prompt.length == 0) {
            throw new IllegalArgumentException("the prompt is empty: at least one token is needed");
        }
        this.prompt = prompt.clone();
        this.params = params;
        long seed = params.seed() != null ? params.seed() : new SecureRandom().nextLong();
        this.rng = new SplittableRandom(seed);
        this.counts = new TokenCounts(prompt);
        this.listener = listener == null ? new Listener() {} : listener;
    }

    public long[] prompt() {
        return prompt.clone();
    }

    public int promptLength() {
        return prompt.length;
    }

    public SamplingParams params() {
        return params;
    }

    /** The tokens produced so far (a final stop token id included). */
    public long[] generated() {
        return generated.stream().mapToLong(Integer::longValue).toArray();
    }

    public int generatedCount() {
        return generated.size();
    }

    public boolean finished() {
        return finishReason != null;
    }

    public FinishReason finishReason() {
        return finishReason;
    }

    /** Asks for the sequence to leave its batch at the next step (its client went away). */
    public void cancel() {
        cancelled = true;
    }

    boolean cancelRequested() {
        return cancelled;
    }

    /** Picks this step's token from this sequence's row of logits. */
    int sample(float[] logits) {
        return Sampler.next(logits, params, counts, rng);
    }

    /** Takes the token the batch produced; decides whether the sequence is done. */
    void accept(int id) {
        generated.add(id);
        if (params.stopTokenIds().contains((long) id)) {
            finish(FinishReason.STOP, id, "");
            return;
        }
        counts.addGenerated(id);
        if (generated.size() >= params.maxNewTokens()) {
            finish(FinishReason.LENGTH, id, "");
            return;
        }
        listener.onToken(this, id, "");
    }

    void finish(FinishReason reason, int lastId, String lastDelta) {
        finishReason = reason;
        if (lastId >= 0) {
            listener.onToken(this, lastId, lastDelta);
        }
        listener.onFinish(this);
    }
}
