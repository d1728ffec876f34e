package org.mmgpt.engine.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.OptionalLong;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;

/** The real Qwen2.5 tokenizer against golden/qwen2_5-tokenizer-goldens.json (what HF computes). */
class TokenizerTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static JsonNode goldens() throws IOException {
        try (InputStream in = TokenizerTest.class.getResourceAsStream("/golden/qwen2_5-tokenizer-goldens.json")) {
            return JSON.readTree(in);
        }
    }

    static long[] ids(JsonNode array) {
        return StreamSupport.stream(array.spliterator(), false).mapToLong(JsonNode::asLong).toArray();
    }

    @Test
    void encodesAndDecodesLikeHuggingFace() throws IOException {
        Tokenizer tokenizer = QwenTokenizer.get();
        JsonNode cases = goldens().get("encode");
        assertEquals(4, cases.size());
        for (JsonNode c : cases) {
            String text = c.get("text").asText();
            assertArrayEquals(ids(c.get("ids")), tokenizer.encode(text), text);
            assertEquals(c.get("decoded").asText(), tokenizer.decode(ids(c.get("ids"))), text);
        }
    }

    @Test
    void specialTokensAndLengthMatchTheGoldens() throws IOException {
        Tokenizer tokenizer = QwenTokenizer.get();
        JsonNode g = goldens();
        assertEquals(g.get("len").asInt(), tokenizer.vocabSize());

        String eos = g.get("eos_token").asText();
        assertEquals(eos, tokenizer.specialTokensMap().get("eos_token"));
        long eosId = tokenizer.eosTokenId().orElseThrow();
        assertArrayEquals(new long[] {eosId}, tokenizer.encode(eos));
        assertEquals(eos, tokenizer.decode(new long[] {eosId}));

        String pad = g.get("pad_token").asText();
        assertEquals(pad, tokenizer.specialTokensMap().get("pad_token"));
        assertEquals(tokenizer.tokenId(pad).orElseThrow(), tokenizer.padTokenId());
        assertArrayEquals(new long[] {tokenizer.padTokenId()}, tokenizer.encode(pad));

        // Qwen2.5 has no BOS and adds none.
        assertTrue(tokenizer.bosTokenId().isEmpty());
        assertFalse(tokenizer.addBosToken());
    }

    @Test
    void specialIdsAreTheAddedTokensMarkedSpecial() {
        Tokenizer tokenizer = QwenTokenizer.get();
        long imStart = tokenizer.tokenId("<|im_start|>").orElseThrow();
        long toolCall = tokenizer.tokenId("<tool_call>").orElseThrow(); // added, but special=false
        assertTrue(tokenizer.specialIds().contains(imStart));
        assertTrue(tokenizer.specialIds().contains(tokenizer.eosTokenId().orElseThrow()));
        assertTrue(tokenizer.specialIds().contains(tokenizer.padTokenId()));
        assertFalse(tokenizer.specialIds().contains(toolCall));
        long[] ids = tokenizer.encode("<|im_start|>user\n头痛<tool_call><|im_end|>");
        assertEquals("user\n头痛<tool_call>", tokenizer.decode(ids, true));
        assertEquals("<|im_start|>user\n头痛<tool_call><|im_end|>", tokenizer.decode(ids, false));
    }

    @Test
    void tokenIdKnowsVocabularyAndAddedTokens() {
        Tokenizer tokenizer = QwenTokenizer.get();
        assertEquals(OptionalLong.of(151644), tokenizer.tokenId("<|im_start|>"));
        assertEquals(OptionalLong.of(tokenizer.encode("Hello")[0]), tokenizer.tokenId("Hello"));
        assertEquals(OptionalLong.empty(), tokenizer.tokenId("no such token, surely"));
    }

    @Test
    void longTextsAreNotTruncated() {
        Tokenizer tokenizer = QwenTokenizer.get();
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 400; i++) {
            text.append("患者第").append(i).append("次复诊，血压 ").append(120 + i % 40).append("/80 mmHg。\n");
        }
        long[] ids = tokenizer.encode(text.toString());
        assertTrue(ids.length > 4 * 512, "only " + ids.length + " tokens");
        assertEquals(text.toString(), tokenizer.decode(ids));
    }

    @Test
    void theChatTemplateIsRead() {
        String template = QwenTokenizer.get().chatTemplate().orElseThrow();
        assertTrue(template.contains("<|im_start|>"), template);
    }
}
