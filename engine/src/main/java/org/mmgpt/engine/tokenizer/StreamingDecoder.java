package org.mmgpt.engine.tokenizer;

import java.util.Arrays;

/**
 * Turns generated token ids into text as they come, one delta per token, never splitting a character.
 *
 * <p>A byte-level token may hold part of a UTF-8 character (a Chinese character is often three
 * byte tokens): decoded alone it gives U+FFFD. And decoding a token alone loses context (SentencePiece
 * drops the leading space of the first token). So, as in vLLM and HF's TextStreamer, a small window is
 * decoded: the tokens of the last emitted delta (the prefix, for context) and the tokens since. The
 * delta is what the window's text adds to the prefix's text, held back while it ends in U+FFFD.
 * Each step costs O(window), not O(sequence); the window only grows while a character is incomplete.
 *
 * <p>The deltas, then {@link #flush()}, concatenate to {@code tokenizer.decode(allIds, skipSpecialTokens)}.
 */
public final class StreamingDecoder {
    private static final char REPLACEMENT = '\uFFFD';

    private final Tokenizer tokenizer;
    private final boolean skipSpecialTokens;
    private long[] window = new long[16];
    private int size;
    /** window[0:read] is the prefix: tokens already emitted, kept for context. */
    private int read;
    private String prefixText = "";

    public StreamingDecoder(Tokenizer tokenizer, boolean skipSpecialTokens) {
        this.tokenizer = tokenizer;
        this.skipSpecialTokens = skipSpecialTokens;
    }

    /** Adds one token; returns the text it completes, possibly empty. */
    public String push(long id) {
        if (size == window.length) {
            window = Arrays.copyOf(window, size * 2);
        }
        window[size++] = id;
        String text = tokenizer.decode(Arrays.copyOf(window, size), skipSpecialTokens);
        if (text.length() <= prefixText.length() || text.charAt(text.length() - 1) == REPLACEMENT) {
            return "";
        }
        String delta = text.substring(prefixText.length());
        // The tokens just emitted become the next prefix.
        System.arraycopy(window, read, window, 0, size - read);
        size -= read;
        read = size;
        prefixText = tokenizer.decode(Arrays.copyOf(window, size), skipSpecialTokens);
        return delta;
    }

    /** The text still held back (an incomplete character decodes to U+FFFD here, as in decode), then a reset. */
    public String flush() {
        String text = tokenizer.decode(Arrays.copyOf(window, size), skipSpecialTokens);
        String rest = text.length() > prefixText.length() ? text.substring(prefixText.length()) : "";
        size = 0;
        read = 0;
        prefixText = "";
        return rest;
    }
}
