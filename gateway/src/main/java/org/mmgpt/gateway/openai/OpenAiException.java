package org.mmgpt.gateway.openai;

/**
 * An error answered in OpenAI's shape, {@code {"error": {"message", "type", "param", "code"}}}, so
 * OpenAI's clients report it as they would OpenAI's own. Mapped by {@link OpenAiErrors}.
 */
public final class OpenAiException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int status;
    private final String type;
    private final String param;
    private final String code;

    public OpenAiException(int status, String type, String message, String param, String code) {
        super(message, null, false, false);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
    }

    /** 400: a field with a wrong type or value, or a request the server cannot serve as asked. */
    public static OpenAiException invalid(String param, String message) {
        return new OpenAiException(400, "invalid_request_error", message, param, "invalid_value");
    }

    /** 400: a field OpenAI's (or vLLM's) API has but this server does not implement. */
    public static OpenAiException unsupported(String param) {
        return new OpenAiException(400, "invalid_request_error",
                "Unsupported parameter: '" + param + "' is not supported by this server.", param, "unsupported_parameter");
    }

    /** 400: a field no API has. */
    public static OpenAiException unknown(String param) {
        return new OpenAiException(400, "invalid_request_error",
                "Unrecognized request argument supplied: " + param, param, "unknown_parameter");
    }

    public static OpenAiException modelNotFound(String message) {
        return new OpenAiException(404, "invalid_request_error", message, "model", "model_not_found");
    }

    public static OpenAiException unauthorized(String message) {
        return new OpenAiException(401, "invalid_request_error", message, null, "invalid_api_key");
    }

    public int status() {
        return status;
    }

    public String type() {
        return type;
    }

    public String param() {
        return param;
    }

    public String code() {
        return code;
    }
}
