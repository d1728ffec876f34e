package org.mmgpt.engine.data;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalLong;
import org.mmgpt.engine.chat.ChatMessage;
import org.mmgpt.engine.chat.ChatTemplate;
import org.mmgpt.engine.chat.ChatTemplate.Segment;
import org.mmgpt.engine.tokenizer.Tokenizer;

/**
 * Preference pairs for DPO, in {@code .jsonl} / {@code .json} files, in either of the seed's formats:
 * <ul>
 *   <li>{@code {"system", "history", "question", "response_chosen", "response_rejected"}} ({@code system}
 *       and {@code history} optional; {@code history} a list of {@code [question, answer]} pairs; the
 *       seed's newer files name the replies {@code chosen} and {@code rejected}, accepted too);
 *   <li>ShareGPT style {@code {"conversations", "chosen", "rejected"}}, the conversation ending with the
 *       question ({@code messages} of {@code {role, content}} works as well); a reply may be a string or
 *       an object with a {@code value} or {@code content} string.
 * </ul>
 * The prompt is the conversation rendered up to where the assistant's reply begins
 * ({@code render(messages, true)}), starting with BOS where the tokenizer adds one (as SFT's prompts
 * do); each reply is the assistant piece that the template renders for it, closing tokens included.
 * TRL instead appends the EOS token to the raw reply: for Qwen's template that is {@code <|im_end|>}
 * where this has {@code <|im_end|>\n}, the text SFT trained the model to end a reply with.
 *
 * <p>Lengths: a prompt longer than {@code maxSourceLength} tokens keeps its last tokens, the part
 * nearest the reply; a reply longer than {@code maxTargetLength} keeps its first tokens (and so loses
 * its closing tokens, as in TRL). That is what the seed did while it passed
 * {@code max_prompt_length=max_source_length} to TRL (which cuts prompts from the left); since TRL 0.29
 * the seed passes only {@code max_length = max_source_length + max_target_length}, and the per-part
 * limits here keep both meanings of its two options. The seed also drops pairs whose prompt and reply
 * together have more <em>characters</em> than {@code maxSourceLength + maxTargetLength}; that filter
 * compares characters with tokens and is not reproduced: such pairs are truncated and kept.
 */
public final class DpoData {
    private DpoData() {}

    public static Loaded<PreferenceExample> load(Path dir, Tokenizer tok, ChatTemplate template,
            int maxSourceLength, int maxTargetLength, boolean skipBadLines) {
        if (maxSourceLength < 1 || maxTargetLength < 1) {
            throw new IllegalArgumentException("max source and target lengths must be at least 1 token, not "
                    + maxSourceLength + " and " + maxTargetLength);
        }
        OptionalLong bos = tok.addBosToken() ? tok.bosTokenId() : OptionalLong.empty();
        Errors errors = new Errors(dir, skipBadLines);
        List<PreferenceExample> examples = new ArrayList<>();
        int[] truncated = {0};
        for (Path file : DataFiles.list(dir, DataFiles.JSON)) {
            errors.countFile();
            DataFiles.readJson(file, errors, record -> {
                Texts texts;
                try {
                    texts = texts(record.node(), template);
                } catch (BadRecord e) {
                    errors.add(record.file(), record.line(), e.getMessage());
                    return;
                }
                if (errors.failing()) {
                    return;
                }
                long[] prompt = tok.encode(texts.prompt());
                if (bos.isPresent() && (prompt.length == 0 || prompt[0] != bos.getAsLong())) {
                    long[] withBos = new long[prompt.length + 1];
                    withBos[0] = bos.getAsLong();
                    System.arraycopy(prompt, 0, withBos, 1, prompt.length);
                    prompt = withBos;
                }
                long[] chosen = tok.encode(texts.chosen());
                long[] rejected = tok.encode(texts.rejected());
                boolean cut = prompt.length > maxSourceLength || chosen.length > maxTargetLength
                        || rejected.length > maxTargetLength;
                if (prompt.length > maxSourceLength) {
                    prompt = Arrays.copyOfRange(prompt, prompt.length - maxSourceLength, prompt.length);
                }
                if (chosen.length > maxTargetLength) {
                    chosen = Arrays.copyOf(chosen, maxTargetLength);
                }
                if (rejected.length > maxTargetLength) {
                    rejected = Arrays.copyOf(rejected, maxTargetLength);
                }
                if (cut) {
                    truncated[0]++;
                }
                examples.add(new PreferenceExample(prompt, chosen, rejected));
            });
        }
        errors.throwUnlessSkipping();
        errors.requireExamples(examples.size(), "preference pairs");
        return new Loaded<>(examples, errors.report(examples.size(), 0, truncated[0]));
    }

    /** A pair as text: the prompt, and each reply with the template's closing text. */
    record Texts(String prompt, String chosen, String rejected) {}

    static Texts texts(JsonNode record, ChatTemplate template) throws BadRecord {
        DataFiles.requireObject(record);
        List<ChatMessage> messages;
        String chosen;
        String rejected;
        if (Conversations.present(record)) {
            messages = Conversations.read(record, Conversations.Ending.USER);
            chosen = reply(record, "chosen");
            rejected = reply(record, "rejected");
        } else if (record.has("question")) {
            messages = seedFormat(record);
            chosen = record.has("response_chosen") || !record.has("chosen")
                    ? DataFiles.text(record, "response_chosen", "") : DataFiles.text(record, "chosen", "");
            rejected = record.has("response_rejected") || !record.has("rejected")
                    ? DataFiles.text(record, "response_rejected", "") : DataFiles.text(record, "rejected", "");
        } else {
            throw new BadRecord("missing field 'question' (with 'system', 'history', 'response_chosen',"
                    + " 'response_rejected') or 'conversations' (with 'chosen', 'rejected')");
        }
        try {
            String prompt = template.render(messages, true);
            return new Texts(prompt, replyPiece(template, messages, chosen), replyPiece(template, messages, rejected));
        } catch (IllegalArgumentException e) {
            throw new BadRecord("the chat template cannot format this conversation: " + e.getMessage());
        }
    }

    /** {@code system, history, question}: the seed's fields as a conversation. */
    private static List<ChatMessage> seedFormat(JsonNode record) throws BadRecord {
        List<ChatMessage> messages = new ArrayList<>();
        String system = DataFiles.optionalText(record, "system");
        if (!system.isEmpty()) {
            messages.add(ChatMessage.system(system));
        }
        JsonNode history = record.get("history");
        if (history != null && !history.isNull()) {
            if (!history.isArray()) {
                throw new BadRecord("field 'history' must be a list of [question, answer] pairs, not "
                        + DataFiles.typeName(history));
            }
            for (int i = 0; i < history.size(); i++) {
                JsonNode pair = history.get(i);
                if (!pair.isArray() || pair.size() != 2) {
                    throw new BadRecord("history[" + i + "] must be a [question, answer] pair, not "
                            + (pair.isArray() ? "a list of " + pair.size() : DataFiles.typeName(pair)));
                }
                for (int j = 0; j < 2; j++) {
                    String where = "history[" + i + "][" + j + "]";
                    if (!pair.get(j).isTextual()) {
                        throw new BadRecord(where + " must be a string, not " + DataFiles.typeName(pair.get(j)));
                    }
                    if (pair.get(j).asText().isBlank()) {
                        throw new BadRecord(where + " is empty");
                    }
                }
                messages.add(ChatMessage.user(pair.get(0).asText()));
                messages.add(ChatMessage.assistant(pair.get(1).asText()));
            }
        }
        messages.add(ChatMessage.user(DataFiles.text(record, "question", "")));
        return messages;
    }

    /** A reply of the ShareGPT style: a string, or {"value": ...} / {"content": ...}. */
    private static String reply(JsonNode record, String name) throws BadRecord {
        JsonNode v = record.get(name);
        if (v != null && v.isObject()) {
            JsonNode text = v.has("value") ? v.get("value") : v.get("content");
            if (text == null || !text.isTextual()) {
                throw new BadRecord("field '" + name + "' must be a string or an object with a 'value' or"
                        + " 'content' string, not " + DataFiles.typeName(v) + " without one");
            }
            if (text.asText().isBlank()) {
                throw new BadRecord("field '" + name + "' is empty");
            }
            return text.asText();
        }
        return DataFiles.text(record, name, "");
    }

    /** The assistant piece the template renders for {@code reply} after {@code messages}. */
    static String replyPiece(ChatTemplate template, List<ChatMessage> messages, String reply) {
        List<ChatMessage> withReply = new ArrayList<>(messages);
        withReply.add(ChatMessage.assistant(reply));
        List<Segment> segments = template.segments(withReply);
        for (int i = segments.size() - 1; i >= 0; i--) {
            if (segments.get(i).assistant()) {
                return segments.get(i).text();
            }
        }
        throw new IllegalArgumentException("the template renders no assistant piece for the reply");
    }
}
