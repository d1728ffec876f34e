package org.mmgpt.gateway.http;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import org.mmgpt.protocol.params.FieldError;

/** Every error the API answers: what went wrong, and for a bad request each field and its problem. */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record ApiError(String error, List<FieldError> fields) {

    public static ApiError of(String error) {
        return new ApiError(error, List.of());
    }
}
