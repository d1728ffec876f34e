package org.mmgpt.engine.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mmgpt.engine.chat.ChatMessage;
import org.mmgpt.engine.chat.ChatTemplate;
import org.mmgpt.engine.chat.ConversationTemplate;
import org.mmgpt.engine.chat.ConversationTemplates;
import org.mmgpt.engine.chat.JinjaChatTemplate;
import org.mmgpt.engine.tokenizer.QwenTokenizer;
import org.mmgpt.engine.tokenizer.Tokenizer;

class DpoDataTest {
    private static final Tokenizer TOK = QwenTokenizer.get();
    private static final ChatTemplate QWEN = JinjaChatTemplate.of(TOK);
    private static final String IM_END = "<|im_end|>\n";

    /** A preference record as the test reads it: the prompt's messages and the two replies. */
    record Pair(List<ChatMessage> messages, String chosen, String rejected) {}

    static Pair pair(JsonNode r) {
        if (r.has("conversations")) {
            return new Pair(TestJson.messages(r.get("conversations")), text(r.get("chosen")), text(r.get("rejected")));
        }
        List<ChatMessage> m = new ArrayList<>();
        if (!r.get("system").asText().isEmpty()) {
            m.add(ChatMessage.system(r.get("system").asText()));
        }
        for (JsonNode h : r.get("history")) {
            m.add(ChatMessage.user(h.get(0).asText()));
            m.add(ChatMessage.assistant(h.get(1).asText()));
        }
        m.add(ChatMessage.user(r.get("question").asText()));
        return new Pair(m, r.get("response_chosen").asText(), r.get("response_rejected").asText());
    }

    private static String text(JsonNode v) {
        return v.isObject() ? v.get("value").asText() : v.asText();
    }

    private static void assertRoundTrip(Path dir, ChatTemplate template, String closing, int expectedPairs) {
        List<JsonNode> records = TestJson.records(dir);
        Loaded<PreferenceExample> loaded = DpoData.load(dir, TOK, template, 1 << 16, 1 << 16, false);
        assertEquals(expectedPairs, records.size());
        assertEquals(expectedPairs, loaded.examples().size());
        assertEquals(0, loaded.report().truncated());
        for (int k = 0; k < records.size(); k++) {
            Pair p = pair(records.get(k));
            PreferenceExample x = loaded.examples().get(k);
            String prompt = template.render(p.messages(), true);
            assertEquals(prompt, TOK.decode(x.prompt()), "pair " + k);
            assertArrayEquals(TOK.encode(prompt), x.prompt(), "pair " + k);
            assertEquals(p.chosen() + closing, TOK.decode(x.chosen()), "pair " + k);
            assertEquals(p.rejected() + closing, TOK.decode(x.rejected()), "pair " + k);
        }
    }

    @Test
    void demoDataRoundTripsWithTheModelsTemplate() {
        assertRoundTrip(DataDirs.demo("reward"), QWEN, IM_END, 80);
        Loaded<PreferenceExample> loaded = DpoData.load(DataDirs.demo("reward"), TOK, QWEN, 1024, 512, false);
        assertEquals("2 files, 80 lines -> 80 examples", loaded.report().summary());
        // the ones with history hold the earlier exchange before the question
        String first = TOK.decode(loaded.examples().get(0).prompt());
        assertTrue(first.contains("<|im_start|>assistant\nThese symptoms sound like a common cold"), first);
        assertTrue(first.endsWith("When should a cold make me see a doctor?<|im_end|>\n<|im_start|>assistant\n"), first);
    }

    @Test
    void demoDataRoundTripsWithANamedTemplate() {
        ConversationTemplate vicuna = ConversationTemplates.get("vicuna");
        assertRoundTrip(DataDirs.demo("reward"), vicuna, vicuna.stopString(), 80);
    }

    @Test
    void referenceDataInBothFormats() {
        assertRoundTrip(DataDirs.reference("reward"), QWEN, IM_END, 560);
        Loaded<PreferenceExample> cut = DpoData.load(DataDirs.reference("reward"), TOK, QWEN, 256, 128, false);
        assertEquals(560, cut.examples().size());
        assertTrue(cut.report().truncated() > 0, cut.report().summary());
        for (PreferenceExample x : cut.examples()) {
            assertTrue(x.prompt().length <= 256 && x.chosen().length <= 128 && x.rejected().length <= 128);
        }
    }

    @Test
    void aLongPromptKeepsItsEndAndLongRepliesKeepTheirStart(@TempDir Path dir) {
        String question = "My father is 70, takes blood pressure tablets and has started feeling dizzy when he "
                + "stands up in the morning. He also drinks little water. What could be going on?";
        String chosen = "Dizziness on standing can come from a drop in blood pressure, which blood pressure tablets "
                + "and not drinking enough can both cause. Ask his doctor to check his lying and standing blood pressure.";
        String rejected = "It is just old age; nothing can be done.";
        TestJson.write(dir, "a.jsonl", Map.of("system", "", "history", List.of(), "question", question,
                "response_chosen", chosen, "response_rejected", rejected));
        List<ChatMessage> messages = List.of(ChatMessage.user(question));
        long[] fullPrompt = TOK.encode(QWEN.render(messages, true));
        long[] fullChosen = TOK.encode(chosen + IM_END);
        long[] fullRejected = TOK.encode(rejected + IM_END);
        int maxSource = 20;
        int maxTarget = 8;
        assertTrue(fullPrompt.length > maxSource && fullChosen.length > maxTarget && fullRejected.length > maxTarget);

        Loaded<PreferenceExample> loaded = DpoData.load(dir, TOK, QWEN, maxSource, maxTarget, false);
        PreferenceExample x = loaded.examples().get(0);
        assertEquals(1, loaded.report().truncated());
        assertArrayEquals(Arrays.copyOfRange(fullPrompt, fullPrompt.length - maxSource, fullPrompt.length), x.prompt());
        assertTrue(TOK.decode(x.prompt()).endsWith("What could be going on?<|im_end|>\n<|im_start|>assistant\n"));
        assertArrayEquals(Arrays.copyOf(fullChosen, maxTarget), x.chosen());
        assertArrayEquals(Arrays.copyOf(fullRejected, maxTarget), x.rejected());
        assertTrue(chosen.startsWith(TOK.decode(x.chosen())), TOK.decode(x.chosen()));
    }

    @Test
    void shareGptStyleWithHistoryASystemTurnAndReplyObjects(@TempDir Path dir) {
        TestJson.write(dir, "a.jsonl",
                Map.of("conversations", List.of(
                                Map.of("from", "system", "value", "You are a pharmacist."),
                                Map.of("from", "human", "value", "Can I take ibuprofen?"),
                                Map.of("from", "gpt", "value", "Usually yes, with food, if you have no stomach ulcers."),
                                Map.of("from", "human", "value", "And with my blood thinner?")),
                        "chosen", Map.of("value", "Ask your doctor first: together they raise the risk of bleeding."),
                        "rejected", Map.of("content", "Sure, take as much as you like.")),
                Map.of("messages", List.of(Map.of("role", "user", "content", "Is honey safe for babies?")),
                        "chosen", "Not before 12 months, because of the risk of infant botulism.",
                        "rejected", "Yes, honey is perfect for newborns."),
                Map.of("system", "Be brief.", "history", List.of(List.of("Hi", "Hello.")), "question", "Is fever good?",
                        "chosen", "Fever helps fight infection but should be watched.", "rejected", "Always dangerous."));
        List<PreferenceExample> xs = DpoData.load(dir, TOK, QWEN, 512, 512, false).examples();
        assertEquals(QWEN.render(List.of(ChatMessage.system("You are a pharmacist."), ChatMessage.user("Can I take ibuprofen?"),
                ChatMessage.assistant("Usually yes, with food, if you have no stomach ulcers."),
                ChatMessage.user("And with my blood thinner?")), true), TOK.decode(xs.get(0).prompt()));
        assertEquals("Ask your doctor first: together they raise the risk of bleeding." + IM_END, TOK.decode(xs.get(0).chosen()));
        assertEquals("Sure, take as much as you like." + IM_END, TOK.decode(xs.get(0).rejected()));
        assertEquals(QWEN.render(List.of(ChatMessage.user("Is honey safe for babies?")), true), TOK.decode(xs.get(1).prompt()));
        assertEquals(QWEN.render(List.of(ChatMessage.system("Be brief."), ChatMessage.user("Hi"), ChatMessage.assistant("Hello."),
                ChatMessage.user("Is fever good?")), true), TOK.decode(xs.get(2).prompt()), "chosen/rejected names in the seed format");
    }

    @Test
    void lengthsMustBePositive(@TempDir Path dir) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DpoData.load(dir, TOK, QWEN, 0, 16, false));
        assertEquals("max source and target lengths must be at least 1 token, not 0 and 16", e.getMessage());
    }
}
