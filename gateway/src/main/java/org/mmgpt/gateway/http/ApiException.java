package org.mmgpt.gateway.http;

import jakarta.ws.rs.core.Response.Status;
import java.util.List;
import org.mmgpt.protocol.params.FieldError;

/** An answer other than success, with its status and body; mapped by {@link ErrorMappers}. */
public final class ApiException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final Status status;
    private final transient ApiError body;

    public ApiException(Status status, ApiError body) {
        super(body.error(), null, false, false);
        this.status = status;
        this.body = body;
    }

    public static ApiException notFound(String what) {
        return new ApiException(Status.NOT_FOUND, ApiError.of(what));
    }

    public static ApiException conflict(String why) {
        return new ApiException(Status.CONFLICT, ApiError.of(why));
    }

    public static ApiException badField(String field, String message) {
        return new ApiException(Status.BAD_REQUEST, new ApiError("invalid request", List.of(new FieldError(field, message))));
    }

    public static ApiException notReady() {
        return new ApiException(Status.SERVICE_UNAVAILABLE,
                ApiError.of("the job table is still being rebuilt from Kafka; try again in a moment"));
    }

    public Status status() {
        return status;
    }

    public ApiError body() {
        return body;
    }
}
