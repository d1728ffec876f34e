package org.mmgpt.protocol.inference;

/** A model id that names nothing servable; the message says what was found instead. */
public final class ModelNotFoundException extends Exception {
    private static final long serialVersionUID = 1L;

    public ModelNotFoundException(String message) {
        super(message, null, false, false);
    }
}
