package org.mmgpt.engine.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What load makes of the files of a tokenizer folder, on a tiny word-level tokenizer. */
class TokenizerFilesTest {
    @TempDir
    Path dir;

    private Tokenizer load(String config) throws IOException {
        return TinyTokenizer.load(dir, config);
    }

    @Test
    void tokensMayBeStringsOrContentObjects() throws IOException {
        try (Tokenizer t = load("""
                {"bos_token": {"content": "<s>", "lstrip": false, "special": true}, "eos_token": "</s>",
                 "unk_token": {"content": "<unk>"}, "pad_token": null, "add_bos_token": true,
                 "chat_template": "{{ bos_token }}{% for m in messages %}{{ m.content }}{% endfor %}"}
                """)) {
            assertEquals(OptionalLong.of(4), t.bosTokenId());
            assertEquals(OptionalLong.of(5), t.eosTokenId());
            assertEquals("<s>", t.specialTokensMap().get("bos_token"));
            assertTrue(t.addBosToken());
            // No pad token: padding falls back to the EOS.
            assertEquals(5, t.padTokenId());
            assertArrayEquals(new long[] {4, 1, 2, 5}, t.encode("<s> hello world</s>"));
            assertEquals(6, t.vocabSize());
            assertTrue(t.specialIds().containsAll(java.util.Set.of(0L, 4L, 5L)));
            assertTrue(t.chatTemplate().orElseThrow().startsWith("{{ bos_token }}"));
        }
    }

    @Test
    void padFallsBackToUnkWithoutEos() throws IOException {
        try (Tokenizer t = load("{\"unk_token\": \"<unk>\"}")) {
            assertEquals(0, t.padTokenId());
        }
    }

    @Test
    void aTokenizerWithNoTokenToPadWithSaysSo() throws IOException {
        try (Tokenizer t = load("{}")) {
            IllegalStateException e = assertThrows(IllegalStateException.class, t::padTokenId);
            assertTrue(e.getMessage().contains("tokenizer_config.json"), e.getMessage());
        }
    }

    @Test
    void theDefaultOfATemplateListIsTheTemplate() throws IOException {
        try (Tokenizer t = load("""
                {"chat_template": [{"name": "tool_use", "template": "TOOLS"}, {"name": "default", "template": "PLAIN"}]}
                """)) {
            assertEquals(Optional.of("PLAIN"), t.chatTemplate());
        }
    }

    @Test
    void chatTemplateJinjaBesideTheConfigWins() throws IOException {
        Files.writeString(dir.resolve("chat_template.jinja"), "FROM FILE");
        try (Tokenizer t = load("{\"chat_template\": \"FROM CONFIG\"}")) {
            assertEquals(Optional.of("FROM FILE"), t.chatTemplate());
        }
    }

    @Test
    void aMissingConfigMeansNoSpecialTokensAndNoTemplate() throws IOException {
        try (Tokenizer t = load(null)) {
            assertTrue(t.eosTokenId().isEmpty());
            assertTrue(t.chatTemplate().isEmpty());
            assertArrayEquals(new long[] {1, 0}, t.encode("hello moon"));
        }
    }

    @Test
    void aMissingTokenizerJsonIsNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Tokenizer.load(dir));
        assertTrue(e.getMessage().contains("tokenizer.json") && e.getMessage().contains(dir.toString()), e.getMessage());
    }

    @Test
    void malformedConfigJsonIsNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> load("{\"eos_token\": \"</s>\",,}"));
        assertTrue(e.getMessage().contains(dir.resolve("tokenizer_config.json").toString()), e.getMessage());
        assertTrue(e.getMessage().contains("not valid JSON"), e.getMessage());
    }

    @Test
    void aTokenOfTheWrongShapeIsNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> load("{\"eos_token\": 5}"));
        assertTrue(e.getMessage().contains("tokenizer_config.json") && e.getMessage().contains("eos_token"),
                e.getMessage());
    }

    @Test
    void aTemplateOfTheWrongShapeIsNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> load("{\"chat_template\": {\"name\": \"default\"}}"));
        assertTrue(e.getMessage().contains("tokenizer_config.json") && e.getMessage().contains("chat_template"),
                e.getMessage());
    }

    @Test
    void aSpecialTokenOutsideTheVocabularyIsNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> load("{\"eos_token\": \"<|eot|>\"}"));
        assertTrue(e.getMessage().contains("<|eot|>") && e.getMessage().contains("tokenizer_config.json"),
                e.getMessage());
    }

    @Test
    void aTokenizerJsonTheLibraryRejectsIsNamed() throws IOException {
        Files.writeString(dir.resolve("tokenizer.json"), "{\"model\": {\"type\": \"Nonsense\", \"vocab\": {}}}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Tokenizer.load(dir));
        assertTrue(e.getMessage().contains(dir.resolve("tokenizer.json").toString()), e.getMessage());
    }

    @Test
    void cleanUpTokenizationSpacesIsHonouredWhenTheConfigAsks() throws IOException {
        try (Tokenizer t = load("{\"clean_up_tokenization_spaces\": true}")) {
            assertEquals("hello world.", t.decode(t.encode("hello world.")));
        }
        try (Tokenizer t = load("{\"clean_up_tokenization_spaces\": false}")) {
            assertEquals("hello world .", t.decode(t.encode("hello world.")));
        }
        assertEquals("Hello, world. Isn't it?", Tokenizer.cleanUpTokenization("Hello , world . Is n't it ?"));
    }
}
