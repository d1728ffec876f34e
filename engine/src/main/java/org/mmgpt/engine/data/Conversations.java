package org.mmgpt.engine.data;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.mmgpt.engine.chat.ChatMessage;

/**
 * Reads a conversation from a record: ShareGPT {@code "conversations": [{"from", "value"}, ...]} or
 * OpenAI-style {@code "messages": [{"role", "content"}, ...]} (either list accepts either pair of
 * keys). Roles: {@code system}; {@code human} or {@code user}; {@code gpt} or {@code assistant}. An
 * optional system turn comes first, then user and assistant turns alternate, starting with the user.
 * An empty system turn means "no system prompt" (the template's default applies); any other empty
 * turn is bad. A top-level {@code "system_prompt"} or {@code "system"} string is the system prompt of a
 * conversation that has no system turn (the seed reads a {@code system_prompt} column).
 */
final class Conversations {
    private Conversations() {}

    /** What the conversation must end with. */
    enum Ending {
        /** SFT: at least one assistant turn, and the last turn is the assistant's. */
        ASSISTANT,
        /** DPO prompts: the last turn is the user's question that the candidate replies answer. */
        USER,
        /** Batch inference: the last turn is the user's question to answer. */
        QUERY
    }

    /** Whether {@code record} holds a conversation list. */
    static boolean present(JsonNode record) {
        return record.has("conversations") || record.has("messages");
    }

    static List<ChatMessage> read(JsonNode record, Ending ending) throws BadRecord {
        String listName = record.has("conversations") ? "conversations" : "messages";
        JsonNode list = record.get(listName);
        if (list == null) {
            throw new BadRecord("missing field 'conversations' (ShareGPT) or 'messages' (OpenAI style)");
        }
        if (!list.isArray()) {
            throw new BadRecord("field '" + listName + "' must be a list, not " + DataFiles.typeName(list));
        }
        if (list.isEmpty()) {
            throw new BadRecord("field '" + listName + "' is empty");
        }
        boolean shareGpt = listName.equals("conversations");
        String user = shareGpt ? "human" : "user";
        String assistant = shareGpt ? "gpt" : "assistant";

        List<ChatMessage> messages = new ArrayList<>();
        String system = "";
        boolean systemTurn = false;
        String expected = "user";
        for (int i = 0; i < list.size(); i++) {
            String where = listName + "[" + i + "]";
            JsonNode turn = list.get(i);
            if (!turn.isObject()) {
                throw new BadRecord(where + " must be an object, not " + DataFiles.typeName(turn));
            }
            boolean fromValue = turn.has("from") || !turn.has("role");
            String roleKey = fromValue ? "from" : "role";
            String textKey = fromValue ? "value" : "content";
            JsonNode roleNode = turn.get(roleKey);
            if (roleNode == null) {
                throw new BadRecord(where + ": missing field '" + roleKey + "'");
            }
            if (!roleNode.isTextual()) {
                throw new BadRecord(where + "." + roleKey + " must be a string, not " + DataFiles.typeName(roleNode));
            }
            String role = switch (roleNode.asText()) {
                case "system" -> "system";
                case "human", "user" -> "user";
                case "gpt", "assistant" -> "assistant";
                default -> throw new BadRecord(where + ": unknown role '" + roleNode.asText()
                        + "' (expected system, " + user + " or " + (shareGpt ? "user" : "human") + ", "
                        + assistant + " or " + (shareGpt ? "assistant" : "gpt") + ")");
            };
            JsonNode textNode = turn.get(textKey);
            if (textNode == null) {
                throw new BadRecord(where + ": missing field '" + textKey + "'");
            }
            if (!textNode.isTextual()) {
                throw new BadRecord(where + "." + textKey + " must be a string, not " + DataFiles.typeName(textNode));
            }
            String text = textNode.asText();
            if (role.equals("system")) {
                if (i != 0) {
                    throw new BadRecord(where + ": roles out of order: a system turn may only come first");
                }
                system = text;
                systemTurn = true;
                continue;
            }
            if (text.isBlank()) {
                throw new BadRecord(where + "." + textKey + " is empty");
            }
            if (!role.equals(expected)) {
                throw new BadRecord(where + ": roles out of order: expected a "
                        + (expected.equals("user") ? user : assistant) + " turn, got '" + roleNode.asText() + "'");
            }
            messages.add(new ChatMessage(role, text));
            expected = role.equals("user") ? "assistant" : "user";
        }
        if (!systemTurn) {
            system = systemField(record);
        }
        if (messages.isEmpty()) {
            throw new BadRecord("field '" + listName + "' has no " + user + " turn");
        }
        String last = messages.get(messages.size() - 1).role();
        if (ending == Ending.ASSISTANT && messages.size() == 1) {
            throw new BadRecord("no " + assistant + " turn: nothing to train on");
        }
        if (ending == Ending.ASSISTANT && !last.equals("assistant")) {
            throw new BadRecord(listName + "[" + (list.size() - 1) + "]: the last " + user
                    + " turn has no " + assistant + " reply");
        }
        if (ending == Ending.USER && !last.equals("user")) {
            throw new BadRecord(listName + "[" + (list.size() - 1) + "]: the conversation must end with the "
                    + user + " turn that 'chosen' and 'rejected' answer");
        }
        if (ending == Ending.QUERY && !last.equals("user")) {
            throw new BadRecord(listName + "[" + (list.size() - 1) + "]: the conversation must end with the "
                    + user + " turn to answer");
        }
        if (!system.isEmpty()) {
            messages.add(0, ChatMessage.system(system));
        }
        return messages;
    }

    private static String systemField(JsonNode record) throws BadRecord {
        String s = DataFiles.optionalText(record, "system_prompt");
        return s.isEmpty() ? DataFiles.optionalText(record, "system") : s;
    }
}
