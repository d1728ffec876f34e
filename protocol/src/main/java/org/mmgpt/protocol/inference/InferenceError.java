package org.mmgpt.protocol.inference;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Why a request failed, as a worker (or the gateway, for a silent worker) reports it. */
public record InferenceError(Code code, String message) {

    /** Each code has one HTTP status at the gateway. */
    public enum Code {
        /** No such model or adapter in storage (404). */
        @JsonProperty("model_not_found") MODEL_NOT_FOUND(404),
        /** The request cannot be served as asked, e.g. longer than the model's context (400). */
        @JsonProperty("invalid_request") INVALID_REQUEST(400),
        /** The worker's queue for the model is full: try again shortly (503). */
        @JsonProperty("overloaded") OVERLOADED(503),
        /** No worker took the request, or its worker went silent (the gateway says so itself) (503). */
        @JsonProperty("unavailable") UNAVAILABLE(503),
        /** The request's deadline passed before it finished (504). */
        @JsonProperty("timeout") TIMEOUT(504),
        /** The model failed to load or to run (500). */
        @JsonProperty("internal") INTERNAL(500);

        private final int httpStatus;

        Code(int httpStatus) {
            this.httpStatus = httpStatus;
        }

        public int httpStatus() {
            return httpStatus;
        }
    }

    public static InferenceError of(Code code, String message) {
        return new InferenceError(code, message);
    }
}
