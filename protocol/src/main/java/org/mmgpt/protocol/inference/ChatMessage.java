package org.mmgpt.protocol.inference;

/** One turn of a conversation: role is system, user or assistant. */
public record ChatMessage(String role, String content) {
}
