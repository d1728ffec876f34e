package org.mmgpt.gateway.openai;

import jakarta.inject.Inject;
import jakarta.ws.rs.container.ContainerRequestContext;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;
import org.mmgpt.gateway.inference.ServingConfig;

/**
 * {@code Authorization: Bearer <key>} on the serving endpoints (/v1/chat/completions, /v1/completions,
 * /v1/models, /chat): checked whenever keys are configured ({@code mmgpt.serving.api-keys}); with none
 * configured, every request is refused unless keys are explicitly not required (the dev, test and local
 * profiles), so a production gateway is never open by mistake. Refusals are 401s in OpenAI's shape.
 */
public class ApiKeyFilter {

    private static final List<String> PROTECTED = List.of("/v1/chat/", "/v1/completions", "/v1/models", "/chat");

    @Inject
    ServingConfig config;

    @ServerRequestFilter
    public void check(ContainerRequestContext request) {
        String path = request.getUriInfo().getPath();
        if (PROTECTED.stream().noneMatch(path::startsWith)) {
            return;
        }
        List<String> keys = config.apiKeys().orElse(List.of()).stream().filter(k -> !k.isBlank()).toList();
        if (keys.isEmpty()) {
            if (config.apiKeysRequired()) {
                throw OpenAiException.unauthorized("This gateway requires API keys but none is configured: set"
                        + " MMGPT_API_KEYS (mmgpt.serving.api-keys), or mmgpt.serving.api-keys-required=false to serve"
                        + " without keys.");
            }
            return;
        }
        String header = request.getHeaderString("Authorization");
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            throw OpenAiException.unauthorized("You didn't provide an API key. You need to provide your API key in an"
                    + " Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).");
        }
        byte[] given = header.substring(7).strip().getBytes(StandardCharsets.UTF_8);
        boolean known = false;
        for (String key : keys) {
            known |= MessageDigest.isEqual(given, key.getBytes(StandardCharsets.UTF_8)); // constant time, every key
        }
        if (!known) {
            throw OpenAiException.unauthorized("Incorrect API key provided.");
        }
    }
}
