package org.mmgpt.gateway.openai;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;
import org.mmgpt.gateway.inference.InferenceFailure;
import org.mmgpt.protocol.inference.InferenceError;
import org.mmgpt.protocol.inference.InferenceError.Code;

/** The serving endpoints' errors, in OpenAI's shape, with the status each deserves. */
public class OpenAiErrors {

    private static final ObjectMapper JSON = new ObjectMapper();

    @ServerExceptionMapper
    public Response openAi(OpenAiException e) {
        Response.ResponseBuilder response = Response.status(e.status()).type(MediaType.APPLICATION_JSON_TYPE)
                .entity(body(e.getMessage(), e.type(), e.param(), e.code()));
        if (e.status() == 401) {
            response.header("WWW-Authenticate", "Bearer");
        }
        return response.build();
    }

    /** A worker's error (or the gateway's own about a worker): its code decides the status. */
    @ServerExceptionMapper
    public Response inference(InferenceFailure e) {
        InferenceError error = e.error();
        Response.ResponseBuilder response = Response.status(error.code().httpStatus())
                .type(MediaType.APPLICATION_JSON_TYPE)
                .entity(body(error.message(), type(error.code()), error.code() == Code.MODEL_NOT_FOUND ? "model" : null,
                        code(error.code())));
        if (error.code().httpStatus() == 503) {
            response.header("Retry-After", "1");
        }
        return response.build();
    }

    /** {@code {"error": {...}}} as text: a stream that fails after it began carries it as its last event. */
    static String body(InferenceError error) {
        return body(error.message(), type(error.code()), null, code(error.code()));
    }

    private static String body(String message, String type, String param, String code) {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode error = root.putObject("error");
        error.put("message", message);
        error.put("type", type);
        error.put("param", param);
        error.put("code", code);
        return root.toString();
    }

    private static String type(Code code) {
        return code == Code.INVALID_REQUEST || code == Code.MODEL_NOT_FOUND ? "invalid_request_error" : "server_error";
    }

    private static String code(Code code) {
        return switch (code) {
            case MODEL_NOT_FOUND -> "model_not_found";
            case INVALID_REQUEST -> "invalid_value";
            case OVERLOADED -> "overloaded";
            case UNAVAILABLE -> "unavailable";
            case TIMEOUT -> "timeout";
            case INTERNAL -> "internal_error";
        };
    }
}
