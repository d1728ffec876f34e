package org.mmgpt.engine.data;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.mmgpt.engine.chat.ChatMessage;
import org.mmgpt.engine.chat.ChatTemplate;
import org.mmgpt.engine.chat.ChatTemplate.Segment;
import org.mmgpt.engine.tokenizer.Tokenizer;

/**
 * Supervised fine-tuning data: conversations (see {@link Conversations} for the accepted shapes) in
 * {@code .jsonl} / {@code .json} files, formatted by a chat template and tokenized turn by turn the way
 * the seed's {@code supervised_finetuning.py} does it.
 *
 * <p>Each turn is a source (everything the template writes before the assistant's reply: system prompt,
 * user message, the assistant cue) and a target (the reply with the template's closing text, e.g.
 * {@code <|im_end|>\n}; that closing text is what ends a reply, so no EOS is added after it). The
 * first source starts with BOS where the tokenizer adds one. Per turn, as the seed:
 * <ul>
 *   <li>the budget {@code modelMaxLength} is split between source and target in proportion to their
 *       lengths: {@code maxSource = floor(L * s / (s + t))}, {@code maxTarget = floor(L * t / (s + t))}
 *       (so a turn that fits is left whole);
 *   <li>a longer source keeps its start; a longer target keeps the start of the reply and its closing
 *       tokens (the seed keeps the reply's start and appends EOS);
 *   <li>a turn that does not fit after the turns before it is left out, and so are all later ones.
 * </ul>
 * Labels are -100 on sources (unless {@code trainOnInputs}) and the ids on targets. An example left with
 * no label token is dropped and counted. Text the template writes after the last reply belongs to no
 * turn and is left out, as in the seed.
 *
 * <p>Sources and targets are tokenized separately, as the seed does, so that labels fall exactly on
 * the replies. With the Qwen tokenizer and its template (or a ChatML-style named one) the pieces' ids
 * are the whole text's ids, except where a reply starts with whitespace (see SegmentTokenizationTest);
 * templates whose cue ends in ordinary text (vicuna's "ASSISTANT:") or whose stop string is not a special
 * token of the tokenizer can differ at a boundary, as they do in the seed.
 *
 * <p>Differences from the seed: a bad record (see {@link Conversations}) is reported instead of being
 * merged or skipped silently (the seed joins consecutive user turns with "\n", drops a reply that comes
 * first or a last question without a reply, and skips a conversation with no reply); the closing text
 * of a reply comes from the template rather than an EOS appended to it, so Qwen's template trains on
 * {@code <|im_end|>\n} where the seed trains on {@code <|im_end|>} and drops the newline; and the
 * budget split is computed in exact integer arithmetic where the seed uses floating point.
 */
public final class SftData {
    public static final long IGNORE_INDEX = -100;

    private SftData() {}

    public static Loaded<Example> load(Path dir, Tokenizer tok, ChatTemplate template, int modelMaxLength,
            boolean trainOnInputs, boolean skipBadLines) {
        if (modelMaxLength < 2) {
            throw new IllegalArgumentException("model max length must be at least 2 tokens, not " + modelMaxLength);
        }
        Errors errors = new Errors(dir, skipBadLines);
        TurnTokenizer turns = new TurnTokenizer(tok);
        List<String> stopStrings = template.stopStrings();
        List<Example> examples = new ArrayList<>();
        int[] dropped = {0};
        int[] truncated = {0};
        for (Path file : DataFiles.list(dir, DataFiles.JSON)) {
            errors.countFile();
            DataFiles.readJson(file, errors, record -> {
                List<Segment> segments;
                List<String> replies = new ArrayList<>();
                try {
                    DataFiles.requireObject(record.node());
                    List<ChatMessage> messages = Conversations.read(record.node(), Conversations.Ending.ASSISTANT);
                    segments = format(template, messages);
                    messages.stream().filter(m -> m.role().equals("assistant")).forEach(m -> replies.add(m.content()));
                } catch (BadRecord e) {
                    errors.add(record.file(), record.line(), e.getMessage());
                    return;
                }
                if (errors.failing()) {
                    return;
                }
                Built built = build(turns, segments, replies, stopStrings, modelMaxLength, trainOnInputs);
                if (built.example() == null) {
                    dropped[0]++;
                    return;
                }
                if (built.truncated()) {
                    truncated[0]++;
                }
                examples.add(built.example());
            });
        }
        errors.throwUnlessSkipping();
        errors.requireExamples(examples.size(), "SFT examples with a token to train on");
        return new Loaded<>(examples, errors.report(examples.size(), dropped[0], truncated[0]));
    }

    /** The template's pieces; a template that cannot render the conversation makes the record bad. */
    static List<Segment> format(ChatTemplate template, List<ChatMessage> messages) throws BadRecord {
        try {
            return template.segments(messages);
        } catch (IllegalArgumentException e) {
            throw new BadRecord("the chat template cannot format this conversation: " + e.getMessage());
        }
    }

    /** An example, or null when no label token is left; and whether anything was cut. */
    record Built(Example example, boolean truncated) {}

    static Built build(TurnTokenizer turns, List<Segment> segments, List<String> replies, List<String> stopStrings,
            int maxLength, boolean trainOnInputs) {
        LongList ids = new LongList();
        LongList labels = new LongList();
        boolean cut = false;
        StringBuilder source = new StringBuilder();
        boolean first = true;
        int turn = 0;
        for (Segment segment : segments) {
            if (!segment.assistant()) {
                source.append(segment.text());
                continue;
            }
            long[] src = turns.source(source.toString(), first);
            String reply = turn < replies.size() ? replies.get(turn) : "";
            turn++;
            TurnTokenizer.Target tgt = turns.target(segment.text(), reply, stopStrings);
            source.setLength(0);
            first = false;

            long s = src.length;
            long t = tgt.ids().length;
            int maxSource = (int) (maxLength * s / (s + t));
            int maxTarget = (int) (maxLength * t / (s + t));
            if (src.length > maxSource) {
                src = Arrays.copyOf(src, maxSource);
                cut = true;
            }
            long[] target = tgt.ids();
            if (target.length > maxTarget) {
                target = tgt.truncated(maxTarget);
                cut = true;
            }
            if (ids.size() + src.length + target.length > maxLength) {
                cut = true; // this turn and the ones after it
                break;
            }
            ids.addAll(src);
            ids.addAll(target);
            if (trainOnInputs) {
                labels.addAll(src);
            } else {
                labels.fill(IGNORE_INDEX, src.length);
            }
            labels.addAll(target);
        }
        long[] labelArray = labels.toArray();
        boolean any = false;
        for (long l : labelArray) {
            if (l != IGNORE_INDEX) {
                any = true;
                break;
            }
        }
        return new Built(any ? new Example(ids.toArray(), labelArray) : null, cut);
    }

    /** Tokenizes the pieces of turns; caches the closing tokens of replies, which repeat. */
    static final class TurnTokenizer {
        private final Tokenizer tok;
        private final OptionalLong bos;
        private final Map<String, long[]> closings = new HashMap<>();

        TurnTokenizer(Tokenizer tok) {
            this.tok = tok;
            this.bos = tok.addBosToken() ? tok.bosTokenId() : OptionalLong.empty();
        }

        /** The source's ids; the first source of a conversation starts with BOS where the tokenizer adds one. */
        long[] source(String text, boolean first) {
            long[] ids = text.isEmpty() ? new long[0] : tok.encode(text);
            if (first && bos.isPresent() && (ids.length == 0 || ids[0] != bos.getAsLong())) {
                long[] withBos = new long[ids.length + 1];
                withBos[0] = bos.getAsLong();
                System.arraycopy(ids, 0, withBos, 1, ids.length);
                return withBos;
            }
            return ids;
        }

        /**
         * A reply piece: its ids, and how many of them at the end are the template's closing text. The
         * closing text is what the piece holds after the reply itself (or, where a template changes the
         * reply's text, from the first of its stop strings on), counted only if its ids end the piece's.
         */
        Target target(String piece, String reply, List<String> stopStrings) {
            long[] ids = tok.encode(piece);
            String closing = null;
            if (piece.startsWith(reply) && piece.length() > reply.length()) {
                closing = piece.substring(reply.length());
            } else {
                for (String stop : stopStrings) {
                    int at = stop.isEmpty() ? -1 : piece.lastIndexOf(stop);
                    if (at > 0 && (closing == null || piece.length() - at > closing.length())) {
                        closing = piece.substring(at);
                    }
                }
            }
            if (closing == null) {
                return new Target(ids, 0);
            }
            long[] closingIds = closings.computeIfAbsent(closing, tok::encode);
            boolean suffix = closingIds.length < ids.length && endsWith(ids, closingIds);
            return new Target(ids, suffix ? closingIds.length : 0);
        }

        private static boolean endsWith(long[] ids, long[] suffix) {
            int off = ids.length - suffix.length;
            for (int i = 0; i < suffix.length; i++) {
                if (ids[off + i] != suffix[i]) {
                    return false;
                }
            }
            return true;
        }

        record Target(long[] ids, int closing) {
            /** At most {@code max} ids: the reply's first tokens, then its closing tokens. */
            long[] truncated(int max) {
                int keepClosing = Math.min(closing, max);
                int keepReply = max - keepClosing;
                long[] out = new long[max];
                System.arraycopy(ids, 0, out, 0, keepReply);
                System.arraycopy(ids, ids.length - closing, out, keepReply, keepClosing);
                return out;
            }
        }
    }
}
