package org.mmgpt.engine.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mmgpt.engine.chat.ChatTemplate;
import org.mmgpt.engine.chat.JinjaChatTemplate;
import org.mmgpt.engine.tokenizer.QwenTokenizer;
import org.mmgpt.engine.tokenizer.Tokenizer;

/**
 * The malformed corpora in src/test/resources/data/bad-*: every bad line is reported as file:line:
 * what is wrong, the load fails before any training by default, and with skipBadLines the bad lines
 * are skipped and counted.
 */
class BadDataTest {
    private static final Tokenizer TOK = QwenTokenizer.get();
    private static final ChatTemplate QWEN = JinjaChatTemplate.of(TOK);

    private static List<String> errors(Path dir, String... fileLineMessages) {
        List<String> out = new ArrayList<>();
        for (String s : fileLineMessages) {
            out.add(dir.resolve(s.substring(0, s.indexOf(':'))) + s.substring(s.indexOf(':')));
        }
        return out;
    }

    private static List<String> strings(List<DataError> errors) {
        return errors.stream().map(DataError::toString).toList();
    }

    private static List<String> messageLines(DataException e) {
        return List.of(e.getMessage().split("\n"));
    }

    @Test
    void sftCorpus() {
        Path dir = DataDirs.resource("bad-sft");
        List<String> expected = errors(dir,
                "conversations.jsonl:2: invalid JSON at column 104: Unexpected end-of-input: expected close marker for Object",
                "conversations.jsonl:3: missing field 'conversations' (ShareGPT) or 'messages' (OpenAI style)",
                "conversations.jsonl:4: field 'conversations' must be a list, not a string",
                "conversations.jsonl:5: conversations[0].value must be a string, not a number",
                "conversations.jsonl:6: conversations[0].value is empty",
                "conversations.jsonl:7: conversations[0]: roles out of order: expected a human turn, got 'gpt'",
                "conversations.jsonl:8: conversations[1]: unknown role 'bot' (expected system, human or user, gpt or assistant)",
                "conversations.jsonl:10: no gpt turn: nothing to train on",
                "conversations.jsonl:11: expected a JSON object, got a list",
                "conversations.jsonl:13: conversations[2]: roles out of order: a system turn may only come first",
                "conversations.jsonl:14: messages[1]: missing field 'content'",
                "conversations.jsonl:15: conversations[2]: the last human turn has no gpt reply",
                "nested/array.json:4: conversations[1].value must be a string, not a list",
                "nested/array.json:6: field 'conversations' is empty");

        DataException e = assertThrows(DataException.class, () -> SftData.load(dir, TOK, QWEN, 512, false, false));
        assertEquals(expected, strings(e.errors()));
        List<String> lines = messageLines(e);
        assertEquals("14 bad lines in " + dir + " (fix them, or skip bad lines with --skip-bad-lines):", lines.get(0));
        assertEquals(expected, lines.subList(1, lines.size()));

        Loaded<Example> skipped = SftData.load(dir, TOK, QWEN, 512, false, true);
        LoadReport r = skipped.report();
        assertEquals(2, r.files(), "the .txt file and the hidden folder are not SFT data");
        assertEquals(18, r.lines(), "15 non-blank lines and 3 array elements");
        assertEquals(4, r.examples());
        assertEquals(4, skipped.examples().size());
        assertEquals(14, r.skippedBadLines());
        assertEquals(expected, strings(r.errors()));
        assertTrue(r.summary().startsWith("2 files, 18 lines -> 4 examples; 14 bad lines skipped (first: " + expected.get(0)),
                r.summary());
    }

    @Test
    void pretrainCorpus() {
        Path dir = DataDirs.resource("bad-pretrain");
        List<String> expected = errors(dir,
                "docs.jsonl:2: field 'text' is empty",
                "docs.jsonl:3: missing field 'text'",
                "docs.jsonl:4: field 'text' must be a string, not a number",
                "docs.jsonl:5: invalid JSON at column 23: Unexpected end-of-input: was expecting closing quote for a string value",
                "docs.jsonl:6: field 'text' must be a string, not a list",
                "docs.jsonl:7: expected a JSON object, got a string");
        DataException e = assertThrows(DataException.class, () -> PretrainData.load(dir, TOK, 8, false));
        assertEquals(expected, strings(e.errors()));
        assertEquals(expected, messageLines(e).subList(1, 7));

        Loaded<Example> skipped = PretrainData.load(dir, TOK, 8, true);
        assertEquals(6, skipped.report().skippedBadLines());
        assertEquals(10, skipped.report().lines(), "8 JSON lines and 2 non-blank text lines");
        long[] all = concat(skipped.examples());
        long eos = TOK.eosTokenId().getAsLong();
        long[] expectedIds = concatIds(List.of(
                TOK.encode("Regular physical activity lowers the risk of heart disease."), new long[] {eos},
                TOK.encode("Sleep of seven to nine hours suits most adults."), new long[] {eos},
                TOK.encode("Passage one about hydration.\n"), new long[] {eos},
                TOK.encode("Passage two about sleep.\n"), new long[] {eos}));
        assertEquals(expectedIds.length / 8 * 8, all.length);
        for (int i = 0; i < all.length; i++) {
            assertEquals(expectedIds[i], all[i], "token " + i);
        }
    }

    @Test
    void dpoCorpus() {
        Path dir = DataDirs.resource("bad-dpo");
        List<String> expected = errors(dir,
                "pairs.jsonl:2: missing field 'question' (with 'system', 'history', 'response_chosen', 'response_rejected')"
                        + " or 'conversations' (with 'chosen', 'rejected')",
                "pairs.jsonl:3: field 'history' must be a list of [question, answer] pairs, not a string",
                "pairs.jsonl:4: history[0] must be a [question, answer] pair, not a list of 1",
                "pairs.jsonl:5: field 'response_chosen' is empty",
                "pairs.jsonl:6: field 'system' must be a string, not a number",
                "pairs.jsonl:7: missing field 'response_rejected'",
                "pairs.jsonl:8: conversations[1]: the conversation must end with the human turn that 'chosen' and"
                        + " 'rejected' answer",
                "pairs.jsonl:9: field 'chosen' must be a string or an object with a 'value' or 'content' string,"
                        + " not an object without one",
                "pairs.jsonl:10: field 'chosen' must be a string, not a number");
        DataException e = assertThrows(DataException.class, () -> DpoData.load(dir, TOK, QWEN, 64, 64, false));
        assertEquals(expected, strings(e.errors()));
        assertEquals("9 bad lines in " + dir + " (fix them, or skip bad lines with --skip-bad-lines):",
                messageLines(e).get(0));

        Loaded<PreferenceExample> skipped = DpoData.load(dir, TOK, QWEN, 64, 64, true);
        assertEquals(2, skipped.examples().size());
        assertEquals(9, skipped.report().skippedBadLines());
        assertEquals(11, skipped.report().lines());
        assertEquals("Yes, tea counts towards your fluid intake.<|im_end|>\n", TOK.decode(skipped.examples().get(1).chosen()));
    }

    @Test
    void moreThanTwentyBadLinesListsTwentyAndCountsTheRest(@TempDir Path dir) throws IOException {
        StringBuilder b = new StringBuilder();
        for (int i = 1; i <= 30; i++) {
            b.append(i % 6 == 0 ? "{\"text\": \"fine\"}" : "{\"text\": " + i + "}").append('\n');
        }
        Files.writeString(dir.resolve("many.jsonl"), b.toString());
        DataException e = assertThrows(DataException.class, () -> PretrainData.load(dir, TOK, 4, false));
        assertEquals(25, e.errors().size());
        List<String> lines = messageLines(e);
        assertEquals(22, lines.size());
        assertEquals("25 bad lines in " + dir + " (fix them, or skip bad lines with --skip-bad-lines):", lines.get(0));
        assertEquals(dir.resolve("many.jsonl") + ":1: field 'text' must be a string, not a number", lines.get(1));
        assertEquals(dir.resolve("many.jsonl") + ":23: field 'text' must be a string, not a number", lines.get(20),
                "the 20th bad line (lines 6, 12 and 18 are good)");
        assertEquals("and 5 more (25 bad lines in all)", lines.get(21));

        Loaded<Example> skipped = PretrainData.load(dir, TOK, 2, true);
        assertEquals(25, skipped.report().skippedBadLines());
        assertEquals(30, skipped.report().lines());
    }

    @Test
    void oneBadLineIsSaidInTheSingular(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("one.jsonl"), "{\"text\": \"a passage\"}\n{\"text\": null}\n");
        DataException e = assertThrows(DataException.class, () -> PretrainData.load(dir, TOK, 2, false));
        assertEquals("1 bad line in " + dir + " (fix it, or skip bad lines with --skip-bad-lines):\n"
                + dir.resolve("one.jsonl") + ":2: field 'text' must be a string, not null", e.getMessage());
    }

    @Test
    void invalidUtf8IsABadLine(@TempDir Path dir) throws IOException {
        byte[] bad = {'o', 'k', '\n', 'b', (byte) 0xff, 'd', '\n', 'f', 'i', 'n', 'e', '\n'};
        Files.write(dir.resolve("text.txt"), bad);
        DataException e = assertThrows(DataException.class, () -> PretrainData.load(dir, TOK, 2, false));
        assertEquals(List.of(dir.resolve("text.txt") + ":2: not valid UTF-8"), strings(e.errors()));
        LoadReport r = PretrainData.load(dir, TOK, 2, true).report();
        assertEquals(3, r.lines());
        assertEquals(1, r.skippedBadLines());
    }

    @Test
    void anUnclosedJsonArrayIsReportedWhereItEnds(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("pairs.json"), "[\n {\"text\": \"one\"},\n {\"text\": \"two\"}\n");
        DataException e = assertThrows(DataException.class, () -> PretrainData.load(dir, TOK, 2, false));
        assertEquals(1, e.errors().size());
        assertEquals(dir.resolve("pairs.json"), e.errors().get(0).file());
        assertTrue(e.errors().get(0).message().startsWith("invalid JSON"), e.errors().get(0).message());
    }

    @Test
    void emptyOrMissingDirectoriesNameThemselves(@TempDir Path tmp) throws IOException {
        Path empty = Files.createDirectory(tmp.resolve("empty"));
        DataException e = assertThrows(DataException.class, () -> SftData.load(empty, TOK, QWEN, 64, false, false));
        assertEquals("no data files (.json, .jsonl) in " + empty, e.getMessage());

        Path other = Files.createDirectory(tmp.resolve("other"));
        Files.writeString(other.resolve("README.md"), "not data");
        Files.writeString(other.resolve("notes.txt"), "text is not SFT data");
        e = assertThrows(DataException.class, () -> DpoData.load(other, TOK, QWEN, 64, 64, false));
        assertEquals("no data files (.json, .jsonl) in " + other, e.getMessage());
        e = assertThrows(DataException.class, () -> PretrainData.load(empty, TOK, 64, false));
        assertEquals("no data files (.json, .jsonl, .txt) in " + empty, e.getMessage());

        Path missing = tmp.resolve("missing");
        e = assertThrows(DataException.class, () -> PretrainData.load(missing, TOK, 64, false));
        assertEquals("no such data directory: " + missing, e.getMessage());
    }

    @Test
    void skippingEverythingLeavesNothingAndThatIsAnError(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("bad.jsonl"), "{\"conversations\": []}\n{\"conversations\": 1}\n");
        DataException e = assertThrows(DataException.class, () -> SftData.load(dir, TOK, QWEN, 64, false, true));
        assertEquals("no SFT examples with a token to train on in " + dir + " (1 file, 2 lines, 2 bad, skipped; first: "
                + dir.resolve("bad.jsonl") + ":1: field 'conversations' is empty)", e.getMessage());
    }

    @Test
    void blankFilesAndBlankLinesAreNotErrors(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("a.txt"), "\n\n  \nA passage.\n\n");
        Files.writeString(dir.resolve("b.jsonl"), "\n{\"text\": \"Another.\"}\n   \n");
        Files.writeString(dir.resolve("c.jsonl"), "");
        Loaded<Example> loaded = PretrainData.load(dir, TOK, 2, false);
        assertEquals(3, loaded.report().files());
        assertEquals(2, loaded.report().lines());
        assertEquals(0, loaded.report().skippedBadLines());
    }

    static long[] concat(List<Example> examples) {
        List<long[]> parts = new ArrayList<>();
        examples.forEach(x -> parts.add(x.inputIds()));
        return concatIds(parts);
    }

    static long[] concatIds(List<long[]> parts) {
        int n = parts.stream().mapToInt(p -> p.length).sum();
        long[] out = new long[n];
        int at = 0;
        for (long[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }
}
