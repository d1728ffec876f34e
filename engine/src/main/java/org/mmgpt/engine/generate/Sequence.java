package org.mmgpt.engine.generate;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.mmgpt.engine.tokenizer.StreamingDecoder;

/**
 * One prompt being continued: its sampling parameters, random generator, the tokens and text produced
 * so far, and the stop conditions. A {@link DecodeBatch} feeds it one token per step until it finishes.
 *
 * <p>Text is streamed in deltas that are always safe to show: a character split across tokens is
 * held back until complete, and so is any tail of the text that could still become a stop string.
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
    private final StreamingDecoder decoder; // null: ids only, no text
    private final StringBuilder text = new StringBuilder();
    private int emitted; // text[0, emitted) has been handed to the listener
    private FinishReason finishReason;
    private volatile boolean cancelled;

    /** A sequence without text (token ids only); stop strings then never match. */
    public Sequence(long[] prompt, SamplingParams params, Listener listener) {
        this(prompt, params, null, listener);
    }

    /** @param decoder turns this sequence's tokens into text; null for ids only */
    public Sequence(long[] prompt, SamplingParams params, StreamingDecoder decoder, Listener listener) {
        if (prompt.length == 0) {
            throw new IllegalArgumentException("the prompt is empty: at least one token is needed");
        }
        this.prompt = prompt.clone();
        this.params = params;
        long seed = params.seed() != null ? params.seed() : new SecureRandom().nextLong();
        this.rng = new SplittableRandom(seed);
        this.counts = new TokenCounts(prompt);
        this.listener = listener == null ? new Listener() {} : listener;
        this.decoder = decoder;
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

    /** The text so far (the whole text once finished; a stop string is cut off). */
    public String text() {
        return text.toString();
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
            finish(FinishReason.STOP, id, drain(true));
            return;
        }
        counts.addGenerated(id);
        if (decoder != null) {
            text.append(decoder.push(id));
        }
        if (cutAtStopString()) {
            finish(FinishReason.STOP, id, drain(false));
            return;
        }
        if (generated.size() >= params.maxNewTokens()) {
            finish(FinishReason.LENGTH, id, drain(true));
            return;
        }
        listener.onToken(this, id, drain(false));
    }

    /** Cuts the text at the first stop string, if one has appeared. */
    private boolean cutAtStopString() {
        int cut = -1;
        for (String stop : params.stopStrings()) {
            int from = Math.max(0, emitted - stop.length());
            int at = text.indexOf(stop, from);
            if (at >= 0 && (cut < 0 || at < cut)) {
                cut = at;
            }
        }
        if (cut >= 0) {
            text.setLength(cut);
            return true;
        }
        return false;
    }

    /**
     * The text not yet handed out that is safe to hand out now: all of it when the sequence ends,
     * else all but a tail that is the beginning of some stop string.
     */
    private String drain(boolean end) {
        if (end && decoder != null) {
            text.append(decoder.flush());
            cutAtStopString();
        }
        int safe = text.length();
        if (!end && !params.stopStrings().isEmpty()) {
            String all = text.toString();
            for (String stop : params.stopStrings()) {
                for (int k = Math.min(stop.length() - 1, all.length() - emitted); k > 0; k--) {
                    if (all.regionMatches(all.length() - k, stop, 0, k)) {
                        safe = Math.min(safe, all.length() - k);
                        break;
                    }
                }
            }
        }
        String delta = text.substring(emitted, safe);
        emitted = safe;
        return delta;
    }

    void finish(FinishReason reason, int lastId, String lastDelta) {
        finishReason = reason;
        if (lastId >= 0) {
            listener.onToken(this, lastId, lastDelta);
        }
        listener.onFinish(this);
    }
}
