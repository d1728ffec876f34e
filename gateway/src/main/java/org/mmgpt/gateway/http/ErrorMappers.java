package org.mmgpt.gateway.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.Response.Status;
import java.util.List;
import org.jboss.resteasy.reactive.RestResponse;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;
import org.mmgpt.protocol.params.FieldError;
import org.mmgpt.protocol.params.InvalidJobException;

/** Turns failures into {@link ApiError} bodies, so every error a client sees has the same shape. */
public class ErrorMappers {

    @ServerExceptionMapper
    public RestResponse<ApiError> invalidJob(InvalidJobException e) {
        return RestResponse.ResponseBuilder.<ApiError>create(Status.BAD_REQUEST)
                .type(MediaType.APPLICATION_JSON_TYPE)
                .entity(new ApiError("invalid job request", e.errors()))
                .build();
    }

    @ServerExceptionMapper
    public Response api(ApiException e) {
        // JSON even where the endpoint produces something else (the SSE stream)
        Response.ResponseBuilder response = Response.status(e.status()).type(MediaType.APPLICATION_JSON_TYPE).entity(e.body());
        if (e.status() == Status.SERVICE_UNAVAILABLE) {
            response.header("Retry-After", "2");
        }
        return response.build();
    }

    /** A body of the wrong JSON shape (an array where an object is expected). */
    @ServerExceptionMapper
    public RestResponse<ApiError> wrongBodyShape(MismatchedInputException e) {
        return unreadableBody(e);
    }

    /** The JSON reader reports a body that is not JSON at all as a bare 400; give it the usual shape. */
    @ServerExceptionMapper
    public Response notJson(WebApplicationException e) {
        if (e.getCause() instanceof JsonProcessingException json) {
            return unreadableBody(json).toResponse();
        }
        return e.getResponse();
    }

    private static RestResponse<ApiError> unreadableBody(JsonProcessingException e) {
        return RestResponse.ResponseBuilder.<ApiError>create(Status.BAD_REQUEST)
                .type(MediaType.APPLICATION_JSON_TYPE)
                .entity(new ApiError("invalid request body",
                        List.of(new FieldError("body", "must be a JSON object: " + e.getOriginalMessage()))))
                .build();
    }
}
