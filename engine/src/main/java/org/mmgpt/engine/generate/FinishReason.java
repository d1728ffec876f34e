package org.mmgpt.engine.generate;

/** Why a sequence stopped, in OpenAI's words. */
public enum FinishReason {
    /** an eos/stop token id or a stop string */
    STOP,
    /** max_new_tokens reached */
    LENGTH,
    /** the caller cancelled it (a client went away) */
    CANCELLED;

    public String openAiName() {
        return this == LENGTH ? "length" : "stop";
    }
}
