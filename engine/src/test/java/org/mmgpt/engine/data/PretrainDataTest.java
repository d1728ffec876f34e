package org.mmgpt.engine.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mmgpt.engine.tokenizer.QwenTokenizer;
import org.mmgpt.engine.tokenizer.TinyTokenizer;
import org.mmgpt.engine.tokenizer.Tokenizer;

class PretrainDataTest {
    private static final Tokenizer TOK = QwenTokenizer.get();
    private static final long EOS = TOK.eosTokenId().getAsLong();

    /** What the seed's packing gives: each document's ids, EOS after each, all concatenated. */
    private static long[] packed(List<String> documents) {
        List<long[]> parts = new ArrayList<>();
        for (String d : documents) {
            long[] ids = TOK.encode(d);
            parts.add(ids);
            if (ids.length == 0 || ids[ids.length - 1] != EOS) {
                parts.add(new long[] {EOS});
            }
        }
        return BadDataTest.concatIds(parts);
    }

    private static void assertBlocks(long[] stream, int blockSize, List<Example> blocks) {
        assertEquals(stream.length / blockSize, blocks.size(), "whole blocks only; the remainder is dropped");
        for (int b = 0; b < blocks.size(); b++) {
            Example x = blocks.get(b);
            assertEquals(blockSize, x.length());
            for (int i = 0; i < blockSize; i++) {
                assertEquals(stream[b * blockSize + i], x.inputIds()[i], "block " + b + " token " + i);
            }
            assertArrayEquals(x.inputIds(), x.labels(), "labels are the inputs");
        }
    }

    @Test
    void documentsEndWithEosAreConcatenatedInPathOrderAndCutIntoBlocks(@TempDir Path dir) throws IOException {
        Files.createDirectories(dir.resolve("sub"));
        Files.writeString(dir.resolve("b.jsonl"), "{\"text\": \"Vitamin D helps the body absorb calcium.\", \"source\": \"x\"}\n");
        Files.writeString(dir.resolve("a.txt"), "Fever is a sign of infection.\n\nRest helps recovery.\r\nDrink water");
        Files.writeString(dir.resolve("sub/c.txt"), "维生素C有助于铁的吸收。\n");
        Files.writeString(dir.resolve("c.json"), "[{\"text\": \"A JSON array works too.\"}]");
        Files.writeString(dir.resolve(".hidden.txt"), "not read\n");
        Files.writeString(dir.resolve("notes.md"), "not read\n");

        List<String> docs = List.of(
                "Fever is a sign of infection.\n", "Rest helps recovery.\n", "Drink water", // a.txt: lines keep "\n"
                "Vitamin D helps the body absorb calcium.", // b.jsonl
                "A JSON array works too.", // c.json
                "维生素C有助于铁的吸收。\n"); // sub/c.txt
        long[] stream = packed(docs);
        for (int blockSize : new int[] {2, 5, 16}) {
            Loaded<Example> loaded = PretrainData.load(dir, TOK, blockSize, false);
            assertBlocks(stream, blockSize, loaded.examples());
            LoadReport r = loaded.report();
            assertEquals(4, r.files());
            assertEquals(6, r.lines());
            assertEquals(stream.length / blockSize, r.examples());
            assertEquals(0, r.skippedBadLines() + r.droppedNoLabels() + r.truncated());
        }
        assertTrue(stream.length % 16 != 0, "the test needs a remainder to drop");
    }

    @Test
    void aDocumentThatEndsWithEosGetsNoSecondOne(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("a.jsonl"), "{\"text\": \"Done.<|im_end|>\"}\n{\"text\": \"Next\"}\n");
        long[] all = BadDataTest.concat(PretrainData.load(dir, TOK, 2, false).examples());
        long[] expected = BadDataTest.concatIds(List.of(TOK.encode("Done."), new long[] {EOS}, TOK.encode("Next"),
                new long[] {EOS}));
        assertArrayEquals(java.util.Arrays.copyOf(expected, expected.length / 2 * 2), all);
    }

    @Test
    void aCorpusShorterThanOneBlockGivesOneShortBlockAsTheSeedDoes(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("a.txt"), "Short.\n");
        List<Example> blocks = PretrainData.load(dir, TOK, 1024, false).examples();
        assertEquals(1, blocks.size());
        assertArrayEquals(packed(List.of("Short.\n")), blocks.get(0).inputIds());
    }

    @Test
    void bosComesFirstWhereTheTokenizerAddsOne(@TempDir Path dir) throws IOException {
        Path tokDir = Files.createDirectory(dir.resolve("tok"));
        Path data = Files.createDirectory(dir.resolve("data"));
        Tokenizer tiny = TinyTokenizer.load(tokDir,
                "{\"add_bos_token\": true, \"bos_token\": \"<s>\", \"eos_token\": \"</s>\"}");
        Files.writeString(data.resolve("a.txt"), "hello world\nworld .\n");
        List<Example> blocks = PretrainData.load(data, tiny, 4, false).examples();
        // <s> hello world </s> | <s> world . </s>
        assertEquals(2, blocks.size());
        assertArrayEquals(new long[] {4, 1, 2, 5}, blocks.get(0).inputIds());
        assertArrayEquals(new long[] {4, 2, 3, 5}, blocks.get(1).inputIds());
    }

    @Test
    void blockSizeBelowTwoIsRefused(@TempDir Path dir) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PretrainData.load(dir, TOK, 1, false));
        assertEquals("block size must be at least 2 tokens, not 1", e.getMessage());
    }

    @Test
    void demoData() throws IOException {
        Path dir = DataDirs.demo("pretrain");
        List<String> docs = new ArrayList<>();
        for (String name : List.of("medical_en.txt", "medical_zh.txt")) {
            for (String line : Files.readAllLines(dir.resolve(name), StandardCharsets.UTF_8)) {
                if (!line.isBlank()) {
                    docs.add(line + "\n");
                }
            }
        }
        Loaded<Example> loaded = PretrainData.load(dir, TOK, 256, false);
        assertEquals(320, loaded.report().lines());
        assertBlocks(packed(docs), 256, loaded.examples());
        assertTrue(loaded.examples().size() >= 20, "demo data fills " + loaded.examples().size() + " blocks of 256");
    }

    @Test
    void referenceData() throws IOException {
        Path dir = DataDirs.reference("pretrain");
        List<String> docs = new ArrayList<>();
        for (String name : List.of("en_article_tail500.txt", "fever.txt")) { // sorted path order
            String text = Files.readString(dir.resolve(name), StandardCharsets.UTF_8);
            for (String line : text.split("\n", -1)) {
                String l = line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
                if (!l.isBlank()) {
                    docs.add(l + "\n");
                }
            }
        }
        Loaded<Example> loaded = PretrainData.load(dir, TOK, 512, false);
        assertEquals(2, loaded.report().files());
        assertEquals(docs.size(), loaded.report().lines());
        assertEquals(1411, docs.size());
        assertBlocks(packed(docs), 512, loaded.examples());
    }

    @Test
    void jsonLinesAreReadWithJacksonSemantics(@TempDir Path dir) throws IOException {
        String text = "Line one\nline \"two\" with a tab\t and unicode \u00e9\u4e2d";
        Files.writeString(dir.resolve("a.jsonl"), new ObjectMapper().writeValueAsString(java.util.Map.of("text", text)) + "\n");
        assertBlocks(packed(List.of(text)), 2, PretrainData.load(dir, TOK, 2, false).examples());
    }
}
