package org.mmgpt.gateway.inference;

import org.mmgpt.protocol.inference.InferenceError;

/** A generation that ended in an error: the worker's, or the gateway's own (silence, timeout). */
public final class InferenceFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final transient InferenceError error;

    public InferenceFailure(InferenceError error) {
        super(error.message(), null, false, false);
        this.error = error;
    }

    public InferenceError error() {
        return error;
    }
}
