package org.mmgpt.engine.chat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A prompt format of the seed project (its {@code Conversation} dataclass): a default system prompt,
 * a prompt with a {@code {query}} slot that ends where the reply begins, a separator, and the stop
 * string that ends a reply.
 *
 * <p>The layout is the seed's {@code get_dialog}: the first prompt is {@code system + sep + prompt}
 * (no separator when the system prompt is empty), every later one {@code sep + prompt}, each followed
 * by its reply. A system message, first in the list and not empty, replaces the default system prompt.
 *
 * <p>Rendered conversations close every reply with the stop string, which is what the seed trains
 * on: its SFT appends the EOS token after each reply and drops an EOS that opens the next prompt.
 * Where the separator starts with the stop string (vicuna {@code </s>}, chatml
 * {@code <|im_end|>\n}) that is exactly the seed's {@code get_prompt} text; where it does not (qwen,
 * alpaca: separator {@code \n}) past replies carry the stop string that the seed's {@code get_prompt}
 * leaves out of its inference history but its training put in.
 *
 * <p>Template variables ({@code enable_thinking} and the like) mean nothing to these formats and are
 * ignored.
 */
public record ConversationTemplate(String name, String systemPrompt, String prompt, String separator,
        String stopString) implements ChatTemplate {

    public ConversationTemplate {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(systemPrompt, "systemPrompt");
        Objects.requireNonNull(separator, "separator");
        if (stopString == null || stopString.isEmpty()) {
            throw new IllegalArgumentException(name + ": a template needs a stop string");
        }
        fill(prompt, ""); // rejects a prompt without {query} or with other fields
    }

    /** One exchange as the seed's get_dialog yields it: the text before a reply, and the reply. */
    public record Turn(String prompt, String response) {}

    /**
     * The seed's {@code get_dialog}: one [prompt, response] pair per user message. A last user message
     * with no reply yet gets an empty response, as the seed's inference does.
     */
    public List<Turn> dialog(List<ChatMessage> messages) {
        return parse(messages).turns;
    }

    @Override
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt, Map<String, ?> variables) {
        Parsed parsed = parse(messages);
        if (addGenerationPrompt && !parsed.open) {
            throw new IllegalArgumentException(name + ": a generation prompt follows a user message; "
                    + "this conversation ends with an assistant reply");
        }
        StringBuilder b = new StringBuilder();
        segments(parsed).forEach(s -> b.append(s.text()));
        return b.toString();
    }

    /**
     * The user's prompt pieces and the replies, each reply with its stop string. A conversation that
     * ends with a user message ends with that prompt, which includes the assistant's cue: these
     * formats cannot render a user turn without it, so {@code addGenerationPrompt} changes nothing there.
     */
    @Override
    public List<Segment> segments(List<ChatMessage> messages, Map<String, ?> variables) {
        return segments(parse(messages));
    }

    @Override
    public List<String> stopStrings() {
        return List.of(stopString);
    }

    private List<Segment> segments(Parsed parsed) {
        List<Segment> segments = new ArrayList<>();
        for (int k = 0; k < parsed.turns.size(); k++) {
            Turn turn = parsed.turns.get(k);
            String promptText = turn.prompt();
            if (k > 0 && promptText.startsWith(stopString)) {
                promptText = promptText.substring(stopString.length()); // the reply before closed with it
            }
            if (!promptText.isEmpty()) {
                segments.add(new Segment(promptText, false));
            }
            boolean answered = k < parsed.turns.size() - 1 || !parsed.open;
            if (answered) {
                String reply = turn.response();
                segments.add(new Segment(reply.endsWith(stopString) ? reply : reply + stopString, true));
            }
        }
        return segments;
    }

    private record Parsed(List<Turn> turns, boolean open) {}

    private Parsed parse(List<ChatMessage> messages) {
        String system = systemPrompt;
        int i = 0;
        if (!messages.isEmpty() && messages.get(0).role().equals("system")) {
            if (!messages.get(0).content().isEmpty()) {
                system = messages.get(0).content();
            }
            i = 1;
        }
        List<Turn> turns = new ArrayList<>();
        boolean open = false;
        for (; i < messages.size(); i += 2) {
            ChatMessage user = messages.get(i);
            if (!user.role().equals("user")) {
                throw new IllegalArgumentException(name + ": message " + i + " is '" + user.role()
                        + "'; expected an optional system message, then user and assistant in turn");
            }
            String reply = "";
            if (i + 1 < messages.size()) {
                ChatMessage assistant = messages.get(i + 1);
                if (!assistant.role().equals("assistant")) {
                    throw new IllegalArgumentException(name + ": message " + (i + 1) + " is '" + assistant.role()
                            + "'; expected an optional system message, then user and assistant in turn");
                }
                reply = assistant.content();
            } else {
                open = true;
            }
            String head = turns.isEmpty() ? (system.isEmpty() ? "" : system + separator) : separator;
            turns.add(new Turn(head + fill(prompt, user.content()), reply));
        }
        if (turns.isEmpty()) {
            throw new IllegalArgumentException(name + ": the conversation has no user message");
        }
        return new Parsed(turns, open);
    }

    /** Python's prompt.format(query=...): {query} is the slot, {{ and }} are literal braces. */
    static String fill(String prompt, String query) {
        Objects.requireNonNull(prompt, "prompt");
        StringBuilder b = new StringBuilder(prompt.length() + query.length());
        boolean slot = false;
        for (int i = 0; i < prompt.length(); i++) {
            char c = prompt.charAt(i);
            if ((c == '{' || c == '}') && i + 1 < prompt.length() && prompt.charAt(i + 1) == c) {
                b.append(c);
                i++;
            } else if (prompt.startsWith("{query}", i)) {
                b.append(query);
                slot = true;
                i += "{query}".length() - 1;
            } else if (c == '{' || c == '}') {
                throw new IllegalArgumentException("prompt format '" + prompt + "': only {query} may be in braces");
            } else {
                b.append(c);
            }
        }
        if (!slot) {
            throw new IllegalArgumentException("prompt format '" + prompt + "' has no {query}");
        }
        return b.toString();
    }
}
