package org.mmgpt.engine.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mmgpt.engine.chat.ChatMessage;
import org.mmgpt.engine.chat.ChatTemplate;
import org.mmgpt.engine.chat.ConversationTemplate;
import org.mmgpt.engine.chat.ConversationTemplates;
import org.mmgpt.engine.chat.JinjaChatTemplate;
import org.mmgpt.engine.tokenizer.QwenTokenizer;
import org.mmgpt.engine.tokenizer.TinyTokenizer;
import org.mmgpt.engine.tokenizer.Tokenizer;

class SftDataTest {
    private static final Tokenizer TOK = QwenTokenizer.get();
    private static final ChatTemplate QWEN = JinjaChatTemplate.of(TOK);
    private static final String IM_END = "<|im_end|>\n";
    private static final long IGNORE = SftData.IGNORE_INDEX;

    /** The labelled stretches of an example, decoded; and a check that labels copy the ids there. */
    static List<String> labelledTexts(Tokenizer tok, Example x) {
        List<String> runs = new ArrayList<>();
        int i = 0;
        while (i < x.length()) {
            if (x.labels()[i] == IGNORE) {
                i++;
                continue;
            }
            int start = i;
            while (i < x.length() && x.labels()[i] != IGNORE) {
                assertEquals(x.inputIds()[i], x.labels()[i], "a label is its input id");
                i++;
            }
            runs.add(tok.decode(Arrays.copyOfRange(x.labels(), start, i)));
        }
        return runs;
    }

    private static List<String> withClosing(List<String> replies, String closing) {
        return replies.stream().map(r -> r + closing).toList();
    }

    @Test
    void demoDataIsLabelledExactlyOnTheRepliesAndTheirClosingTokens() {
        Path dir = DataDirs.demo("finetune");
        List<JsonNode> records = TestJson.records(dir);
        Loaded<Example> loaded = SftData.load(dir, TOK, QWEN, 4096, false, false);
        LoadReport r = loaded.report();
        assertEquals(100, records.size());
        assertEquals(100, r.examples());
        assertEquals(0, r.truncated() + r.droppedNoLabels() + r.skippedBadLines());
        int multiTurn = 0;
        for (int k = 0; k < records.size(); k++) {
            List<ChatMessage> messages = TestJson.messages(records.get(k).get("conversations"));
            Example x = loaded.examples().get(k);
            assertEquals(QWEN.render(messages, false), TOK.decode(x.inputIds()), "conversation " + k);
            List<String> replies = TestJson.replies(messages);
            assertEquals(withClosing(replies, IM_END), labelledTexts(TOK, x), "conversation " + k);
            multiTurn += replies.size() > 1 ? 1 : 0;
        }
        assertEquals(60, multiTurn);
    }

    @ParameterizedTest
    @ValueSource(strings = {"vicuna", "chatml", "qwen", "alpaca", "llama2", "deepseek"})
    void namedTemplatesLabelTheRepliesWithTheirStopString(String name) {
        ConversationTemplate template = ConversationTemplates.get(name);
        Path dir = DataDirs.demo("finetune");
        List<JsonNode> records = TestJson.records(dir);
        Loaded<Example> loaded = SftData.load(dir, TOK, template, 4096, false, false);
        assertEquals(100, loaded.examples().size());
        for (int k = 0; k < records.size(); k++) {
            List<ChatMessage> messages = TestJson.messages(records.get(k).get("conversations"));
            Example x = loaded.examples().get(k);
            assertEquals(template.render(messages, false), TOK.decode(x.inputIds()), name + " conversation " + k);
            assertEquals(withClosing(TestJson.replies(messages), template.stopString()), labelledTexts(TOK, x),
                    name + " conversation " + k);
        }
    }

    @Test
    void referenceData() {
        Path dir = DataDirs.reference("finetune");
        List<JsonNode> records = TestJson.records(dir);
        Loaded<Example> whole = SftData.load(dir, TOK, QWEN, 1 << 16, false, false);
        assertEquals(1000, records.size());
        assertEquals(1000, whole.examples().size());
        assertEquals(0, whole.report().truncated());
        for (int k = 0; k < records.size(); k++) {
            List<ChatMessage> messages = TestJson.messages(records.get(k).get("conversations"));
            assertEquals(withClosing(TestJson.replies(messages), IM_END), labelledTexts(TOK, whole.examples().get(k)));
        }

        Loaded<Example> cut = SftData.load(dir, TOK, QWEN, 256, false, false);
        LoadReport r = cut.report();
        assertEquals(1000, r.examples() + r.droppedNoLabels());
        assertTrue(r.truncated() > 100, r.summary());
        int longer = 0;
        for (int k = 0; k < 1000; k++) {
            Example full = whole.examples().get(k);
            longer += full.length() > 256 ? 1 : 0;
        }
        assertEquals(longer, r.truncated() + r.droppedNoLabels(), "exactly the conversations over 256 tokens are cut");
        for (Example x : cut.examples()) {
            assertTrue(x.length() <= 256);
            List<String> runs = labelledTexts(TOK, x);
            assertEquals(1, runs.size());
            assertTrue(runs.get(0).endsWith(IM_END), "a cut reply keeps its closing tokens");
        }
    }

    /** The ids of each turn: source (everything before the reply) and target (reply and closing). */
    private static List<long[][]> turns(List<ChatMessage> messages) {
        List<long[][]> turns = new ArrayList<>();
        StringBuilder source = new StringBuilder();
        for (ChatTemplate.Segment s : QWEN.segments(messages)) {
            if (s.assistant()) {
                turns.add(new long[][] {TOK.encode(source.toString()), TOK.encode(s.text())});
                source.setLength(0);
            } else {
                source.append(s.text());
            }
        }
        return turns;
    }

    private static Map<String, Object> shareGpt(String... turns) {
        List<Map<String, String>> list = new ArrayList<>();
        for (int i = 0; i < turns.length; i++) {
            list.add(Map.of("from", i % 2 == 0 ? "human" : "gpt", "value", turns[i]));
        }
        return Map.of("conversations", list);
    }

    private static List<ChatMessage> chat(String... turns) {
        List<ChatMessage> m = new ArrayList<>();
        for (int i = 0; i < turns.length; i++) {
            m.add(i % 2 == 0 ? ChatMessage.user(turns[i]) : ChatMessage.assistant(turns[i]));
        }
        return m;
    }

    private static final String[] THREE_TURNS = {
        "What is blood pressure?", "The force of blood pushing against the walls of the arteries.",
        "What do the two numbers mean?", "The first is the pressure when the heart beats, the second between beats.",
        "What is normal?", "For most adults, below about 120 over 80 mmHg."};

    @Test
    void aTurnThatDoesNotFitIsLeftOutWithTheTurnsAfterIt(@TempDir Path dir) {
        TestJson.write(dir, "a.jsonl", shareGpt(THREE_TURNS));
        List<long[][]> t = turns(chat(THREE_TURNS));
        int n1 = t.get(0)[0].length + t.get(0)[1].length;
        int n2 = t.get(1)[0].length + t.get(1)[1].length;
        int n3 = t.get(2)[0].length + t.get(2)[1].length;
        assertTrue(n3 < n1 + n2, "the third turn alone would fit the budget");

        for (int max : new int[] {n1 + n2, n1 + n2 + n3 - 1}) {
            Loaded<Example> loaded = SftData.load(dir, TOK, QWEN, max, false, false);
            assertEquals(1, loaded.report().truncated());
            Example x = loaded.examples().get(0);
            assertArrayEquals(BadDataTest.concatIds(List.of(t.get(0)[0], t.get(0)[1], t.get(1)[0], t.get(1)[1])),
                    x.inputIds(), "turns one and two, whole");
            assertEquals(List.of(THREE_TURNS[1] + IM_END, THREE_TURNS[3] + IM_END), labelledTexts(TOK, x));
        }
        Loaded<Example> all = SftData.load(dir, TOK, QWEN, n1 + n2 + n3, false, false);
        assertEquals(0, all.report().truncated());
        assertEquals(n1 + n2 + n3, all.examples().get(0).length());
    }

    @Test
    void aTurnLongerThanTheBudgetIsSplitInProportionAsTheSeedDoes(@TempDir Path dir) {
        String question = "I have had a headache every afternoon for two weeks, mostly behind my eyes, worse when I "
                + "look at screens, and paracetamol helps only a little. I sleep about six hours a night.";
        String reply = "Daily headaches behind the eyes that are worse with screen use are often tension-type "
                + "headaches or eye strain. Regular breaks from screens, good lighting, enough sleep and fluids "
                + "can help, and an eye test is worthwhile. See a doctor if they keep coming back.";
        TestJson.write(dir, "a.jsonl", shareGpt(question, reply));
        long[][] turn = turns(chat(question, reply)).get(0);
        long[] src = turn[0];
        long[] tgt = turn[1];
        long[] closing = TOK.encode(IM_END);
        int max = 48;
        int s = src.length;
        int t = tgt.length;
        int maxSource = max * s / (s + t);
        int maxTarget = max * t / (s + t);
        assertTrue(s > maxSource && t > maxTarget, "both parts are cut");

        Example x = SftData.load(dir, TOK, QWEN, max, false, false).examples().get(0);
        long[] body = Arrays.copyOf(tgt, maxTarget - closing.length);
        long[] expected = BadDataTest.concatIds(List.of(Arrays.copyOf(src, maxSource), body, closing));
        assertArrayEquals(expected, x.inputIds());
        assertEquals(maxSource + maxTarget, x.length());
        for (int i = 0; i < x.length(); i++) {
            assertEquals(i < maxSource ? IGNORE : x.inputIds()[i], x.labels()[i], "label " + i);
        }
        String labelled = labelledTexts(TOK, x).get(0);
        assertTrue(labelled.endsWith(IM_END) && reply.startsWith(labelled.substring(0, labelled.length() - IM_END.length())),
                labelled);
    }

    @Test
    void examplesLeftWithNoLabelAreDroppedAndCounted(@TempDir Path dir) {
        String longQuestion = "Please read my whole history before answering. ".repeat(80);
        TestJson.write(dir, "a.jsonl", shareGpt(longQuestion, "OK."), shareGpt("Is 37.2 C a fever?",
                "No, it is within the normal range for most people."));
        Loaded<Example> loaded = SftData.load(dir, TOK, QWEN, 64, false, false);
        assertEquals(1, loaded.report().droppedNoLabels());
        assertEquals(1, loaded.report().examples());
        assertEquals(0, loaded.report().truncated(), "the dropped example is not counted as truncated too");
        assertEquals(List.of("No, it is within the normal range for most people." + IM_END),
                labelledTexts(TOK, loaded.examples().get(0)));
        assertTrue(loaded.report().summary().contains("1 dropped with no token left to train on"),
                loaded.report().summary());

        // Training on inputs, the same example keeps labels (on its source) and stays.
        Loaded<Example> inputs = SftData.load(dir, TOK, QWEN, 64, true, false);
        assertEquals(0, inputs.report().droppedNoLabels());
        assertEquals(2, inputs.examples().size());
        assertEquals(1, inputs.report().truncated());
    }

    @Test
    void trainOnInputsLabelsEveryToken() {
        Loaded<Example> loaded = SftData.load(DataDirs.demo("finetune"), TOK, QWEN, 4096, true, false);
        for (Example x : loaded.examples()) {
            assertArrayEquals(x.inputIds(), x.labels());
        }
    }

    @Test
    void openAiMessagesAndTheSystemPromptField(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("chat.jsonl"), String.join("\n",
                "{\"messages\": [{\"role\": \"system\", \"content\": \"Answer briefly.\"},"
                        + " {\"role\": \"user\", \"content\": \"Is sugar bad for teeth?\"},"
                        + " {\"role\": \"assistant\", \"content\": \"Frequent sugar raises the risk of decay.\"}]}",
                "{\"system_prompt\": \"You are a dentist.\", \"conversations\": [{\"from\": \"user\", \"value\": \"Floss?\"},"
                        + " {\"from\": \"assistant\", \"value\": \"Once a day.\"}]}",
                "{\"conversations\": [{\"from\": \"system\", \"value\": \"\"}, {\"from\": \"human\", \"value\": \"Hi\"},"
                        + " {\"from\": \"gpt\", \"value\": \"Hello.\"}]}") + "\n");
        List<Example> xs = SftData.load(dir, TOK, QWEN, 512, false, false).examples();
        assertEquals(QWEN.render(List.of(ChatMessage.system("Answer briefly."), ChatMessage.user("Is sugar bad for teeth?"),
                ChatMessage.assistant("Frequent sugar raises the risk of decay.")), false), TOK.decode(xs.get(0).inputIds()));
        assertEquals(QWEN.render(List.of(ChatMessage.system("You are a dentist."), ChatMessage.user("Floss?"),
                ChatMessage.assistant("Once a day.")), false), TOK.decode(xs.get(1).inputIds()));
        assertEquals(QWEN.render(chat("Hi", "Hello."), false), TOK.decode(xs.get(2).inputIds()),
                "an empty system turn leaves the template's default");
    }

    @Test
    void bosStartsTheFirstTurnWhereTheTokenizerAddsOne(@TempDir Path dir) throws IOException {
        Path tokDir = Files.createDirectory(dir.resolve("tok"));
        Path data = Files.createDirectory(dir.resolve("data"));
        Tokenizer tiny = TinyTokenizer.load(tokDir,
                "{\"add_bos_token\": true, \"bos_token\": \"<s>\", \"eos_token\": \"</s>\"}");
        TestJson.write(data, "a.jsonl", shareGpt("hello", "world", "hello hello", "world ."));
        Example x = SftData.load(data, tiny, ConversationTemplates.get("base"), 64, false, false).examples().get(0);
        // base: "hello" | "world</s>" | "hello hello" | "world .</s>"; BOS only before the first turn
        assertArrayEquals(new long[] {4, 1, 2, 5, 1, 1, 2, 3, 5}, x.inputIds());
        assertArrayEquals(new long[] {IGNORE, IGNORE, 2, 5, IGNORE, IGNORE, 2, 3, 5}, x.labels());
    }

    @Test
    void tooSmallALengthIsRefused(@TempDir Path dir) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SftData.load(dir, TOK, QWEN, 1, false, false));
        assertEquals("model max length must be at least 2 tokens, not 1", e.getMessage());
    }
}
