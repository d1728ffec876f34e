package org.mmgpt.engine.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mmgpt.engine.chat.ChatMessage;
import org.mmgpt.engine.chat.ChatTemplate;
import org.mmgpt.engine.chat.ConversationTemplates;
import org.mmgpt.engine.chat.JinjaChatTemplate;
import org.mmgpt.engine.tokenizer.QwenTokenizer;
import org.mmgpt.engine.tokenizer.Tokenizer;

/**
 * SFT tokenizes a conversation piece by piece (as the seed does: source and target of each turn
 * separately), so that labels fall exactly on the replies. For the Qwen tokenizer with its own chat
 * template, or a ChatML-style named template, every boundary is a special token or follows the newline
 * of the assistant cue, and the pieces' ids are the whole text's ids, except where a reply starts with
 * whitespace: the whole text's pre-tokenizer would join that whitespace with the cue's newline. Pieces
 * are what the model sees when it writes a reply after the cue, so that case is right as it is.
 *
 * <p>Where this cannot hold: templates whose assistant cue ends in text that the tokenizer may merge
 * with a reply's first characters (vicuna's "ASSISTANT:", mistral's "[/INST]", deepseek's
 * "Assistant:"), and templates whose stop string is not a special token of the tokenizer ("</s>" in
 * Qwen's vocabulary is plain text, so "</s>\n\n" can merge across a boundary). With the tokenizer a
 * template was made for (Llama's, where "</s>" is EOS) most of those boundaries are special tokens.
 */
class SegmentTokenizationTest {
    private static final Tokenizer TOK = QwenTokenizer.get();

    private static ChatTemplate template(String name) {
        return name.equals("model") ? JinjaChatTemplate.of(TOK) : ConversationTemplates.get(name);
    }

    private static long[] perSegment(ChatTemplate t, List<ChatMessage> messages) {
        List<long[]> parts = new ArrayList<>();
        for (ChatTemplate.Segment s : t.segments(messages)) {
            parts.add(TOK.encode(s.text()));
        }
        return BadDataTest.concatIds(parts);
    }

    private static boolean aReplyStartsWithWhitespace(List<ChatMessage> messages) {
        return TestJson.replies(messages).stream().anyMatch(r -> !r.isEmpty() && Character.isWhitespace(r.charAt(0)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"model", "chatml", "qwen", "yi", "intern2"})
    void piecesGiveTheWholeTextsIdsOnRealData(String name) {
        ChatTemplate t = template(name);
        int same = 0;
        List<Integer> different = new ArrayList<>();
        for (String set : List.of("reference", "demo")) {
            List<JsonNode> records = TestJson.records(set.equals("demo") ? DataDirs.demo("finetune")
                    : DataDirs.reference("finetune"));
            for (int k = 0; k < records.size(); k++) {
                List<ChatMessage> messages = TestJson.messages(records.get(k).get("conversations"));
                long[] whole = TOK.encode(t.render(messages, false));
                if (Arrays.equals(whole, perSegment(t, messages))) {
                    same++;
                } else {
                    assertTrue(aReplyStartsWithWhitespace(messages), name + ": " + set + " conversation " + k
                            + " differs though no reply starts with whitespace");
                    different.add(k);
                }
            }
        }
        assertEquals(1099, same, name);
        assertEquals(1, different.size(), name + ": the one reference reply that starts with \" \\n\"");
    }

    @ParameterizedTest
    @ValueSource(strings = {"model", "chatml"})
    void theSftLoaderGivesTheseIds(String name) {
        ChatTemplate t = template(name);
        List<JsonNode> records = TestJson.records(DataDirs.demo("finetune"));
        List<Example> examples = SftData.load(DataDirs.demo("finetune"), TOK, t, 4096, false, false).examples();
        for (int k = 0; k < records.size(); k++) {
            List<ChatMessage> messages = TestJson.messages(records.get(k).get("conversations"));
            assertArrayEquals(TOK.encode(t.render(messages, false)), examples.get(k).inputIds(), name + " " + k);
        }
    }
}
