package org.mmgpt.gateway.openai;

import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import java.util.Set;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * Lets clients that accept only server-sent events reach the generating endpoints (POST /chat,
 * /v1/chat/completions, /v1/completions).
 *
 * <p>Those answer JSON or server-sent events as the body's {@code "stream"} field says, and set the
 * Content-Type per answer. Their methods are declared {@code @Produces("application/*")}, the one single
 * type under which Quarkus REST writes a streamed body as it is (see {@link Answers}): it frames the items
 * itself for text/event-stream or a wildcard type, and it refuses two types for one streamed method. That
 * declaration alone would answer 406 to {@code Accept: text/event-stream} (curl, EventSource-style
 * clients). So, before resource matching, an Accept header that admits text/event-stream gets
 * application/json added to it. Any other Accept is left as it came: {@code text/html} alone is still a 406.
 */
public class StreamAccept {

    private static final Set<String> PATHS = Set.of("/chat", "/v1/chat/completions", "/v1/completions");

    @ServerRequestFilter(preMatching = true)
    public void admitEventStreams(ContainerRequestContext request) {
        if (!"POST".equals(request.getMethod()) || !PATHS.contains(request.getUriInfo().getPath())) {
            return;
        }
        String accept = request.getHeaderString(HttpHeaders.ACCEPT);
        if (accept == null || accept.isBlank()) {
            return;
        }
        boolean eventStream = request.getAcceptableMediaTypes().stream()
                .anyMatch(t -> "text".equalsIgnoreCase(t.getType()) && !"0".equals(t.getParameters().get("q"))
                        && (t.isWildcardSubtype() || "event-stream".equalsIgnoreCase(t.getSubtype())));
        if (eventStream) {
            request.getHeaders().putSingle(HttpHeaders.ACCEPT, accept + ", " + MediaType.APPLICATION_JSON);
        }
    }
}
