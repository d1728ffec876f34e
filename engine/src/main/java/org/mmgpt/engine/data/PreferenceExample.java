package org.mmgpt.engine.data;

/**
 * One tokenized DPO pair: the prompt (the formatted conversation up to the assistant's reply) and the
 * two candidate replies, each ending with the template's end-of-turn tokens.
 */
public record PreferenceExample(long[] prompt, long[] chosen, long[] rejected) {}
