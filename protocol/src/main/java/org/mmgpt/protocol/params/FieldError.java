package org.mmgpt.protocol.params;

/** One invalid field of a request: its path in the body ("params.max_steps") and what is wrong. */
public record FieldError(String field, String message) {
}
