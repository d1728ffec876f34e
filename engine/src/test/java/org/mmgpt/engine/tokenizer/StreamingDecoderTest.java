package org.mmgpt.engine.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Streaming real Chinese text through the real Qwen2.5 tokenizer, one token at a time. */
class StreamingDecoderTest {
    // Rare characters and an emoji: byte-level BPE splits these across several tokens.
    private static final String TEXT = "患者主诉头痛三天，伴有恶心。初步诊断：偏头痛（migraine）。"
            + "建议：多休息，必要时服用布洛芬 200mg。罕见字：龘、靐、齉、𠮷。表情：🩺😷。";

    private static List<String> stream(StreamingDecoder decoder, long[] ids) {
        List<String> deltas = new ArrayList<>();
        for (long id : ids) {
            deltas.add(decoder.push(id));
        }
        deltas.add(decoder.flush());
        return deltas;
    }

    @Test
    void deltasNeverSplitACharacterAndAddUpToDecode() {
        Tokenizer tokenizer = QwenTokenizer.get();
        long[] ids = tokenizer.encode(TEXT);

        // The text really has characters split across tokens, or this test would prove nothing.
        int split = 0;
        for (long id : ids) {
            if (tokenizer.decode(new long[] {id}).contains("\uFFFD")) {
                split++;
            }
        }
        assertTrue(split >= 4, "only " + split + " tokens hold part of a character");

        List<String> deltas = stream(new StreamingDecoder(tokenizer, false), ids);
        for (String delta : deltas) {
            assertFalse(delta.contains("\uFFFD"), "broken character in delta '" + delta + "'");
        }
        assertEquals(tokenizer.decode(ids), String.join("", deltas));
        assertEquals(TEXT, String.join("", deltas));
        // Held back while incomplete: some tokens gave nothing, the next one gave the whole character.
        assertTrue(deltas.stream().anyMatch(String::isEmpty));
    }

    @Test
    void specialTokensAreSkippedWhenAsked() {
        Tokenizer tokenizer = QwenTokenizer.get();
        long[] ids = tokenizer.encode("<|im_start|>assistant\n" + TEXT + "<|im_end|>\n");
        assertEquals(tokenizer.decode(ids, true), String.join("", stream(new StreamingDecoder(tokenizer, true), ids)));
        assertEquals(tokenizer.decode(ids, false), String.join("", stream(new StreamingDecoder(tokenizer, false), ids)));
    }

    @Test
    void flushGivesAnIncompleteCharacterAsDecodeDoes() {
        Tokenizer tokenizer = QwenTokenizer.get();
        long[] ids = tokenizer.encode("好龘");
        StreamingDecoder decoder = new StreamingDecoder(tokenizer, false);
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < ids.length - 1; i++) {
            out.append(decoder.push(ids[i]));
        }
        assertEquals("好", out.toString());
        String rest = decoder.flush();
        long[] partial = java.util.Arrays.copyOf(ids, ids.length - 1);
        assertEquals(tokenizer.decode(partial), out + rest);
        assertTrue(rest.contains("\uFFFD"));
        // After a flush the decoder starts afresh.
        assertEquals("好", decoder.push(ids[0]) + decoder.flush());
    }

    @Test
    void aLongStreamAddsUp() {
        Tokenizer tokenizer = QwenTokenizer.get();
        String text = TEXT.repeat(40);
        long[] ids = tokenizer.encode(text);
        assertEquals(text, String.join("", stream(new StreamingDecoder(tokenizer, false), ids)));
    }
}
