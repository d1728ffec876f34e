package org.mmgpt.gateway.inference;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** {@code mmgpt.serving.*}: the gateway's serving endpoints (docs/architecture.md, "Serving"). */
@ConfigMapping(prefix = "mmgpt.serving")
public interface ServingConfig {

    /** This instance's name on its requests (reply_to); default: host name plus a random suffix per start. */
    Optional<String> instanceId();

    /**
     * The partition of mmgpt.inference-responses this instance reads (e.g. a StatefulSet ordinal, so no
     * two instances share one); default: a hash of the instance id.
     */
    Optional<Integer> replyPartition();

    /** A request whose worker has sent nothing for this long is retried once, if its client saw no text yet. */
    @WithDefault("15s")
    Duration idleTimeout();

    /** A request not finished after this long is given up (504) and cancelled. */
    @WithDefault("10m")
    Duration requestTimeout();

    /** Larger request bodies are refused (400). */
    @WithDefault("1048576")
    int maxRequestBytes();

    /** Larger max_tokens are refused (400). */
    @WithDefault("4096")
    int maxTokens();

    /** Larger n are refused (400). */
    @WithDefault("8")
    int maxChoices();

    /** The model /chat uses when the request names none; unset: the only model in storage, if there is one. */
    Optional<String> defaultModel();

    /** Bearer keys accepted on the serving endpoints; empty: none configured. */
    Optional<List<String>> apiKeys();

    /**
     * Whether the serving endpoints refuse every request while no key is configured: true by default
     * (production); false in the dev, test and local profiles, or where set explicitly.
     */
    @WithDefault("true")
    boolean apiKeysRequired();
}
