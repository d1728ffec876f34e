package org.mmgpt.protocol.params;

import java.util.List;
import java.util.stream.Collectors;

/** A job request that cannot run; it names every invalid field at once. */
public final class InvalidJobException extends Exception {
    private static final long serialVersionUID = 1L;

    private final transient List<FieldError> errors;

    public InvalidJobException(List<FieldError> errors) {
        super(errors.stream().map(e -> e.field() + ": " + e.message()).collect(Collectors.joining("; ")));
        this.errors = List.copyOf(errors);
    }

    public List<FieldError> errors() {
        return errors;
    }
}
