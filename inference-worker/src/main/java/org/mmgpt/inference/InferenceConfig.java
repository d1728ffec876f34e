package org.mmgpt.inference;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** {@code mmgpt.inference.*}: how this worker serves models (see docs/architecture.md, "Serving"). */
@ConfigMapping(prefix = "mmgpt.inference")
public interface InferenceConfig {

    /** The consumer group every inference worker of a deployment joins to share the requests. */
    @WithDefault("mmgpt-inference")
    String groupId();

    /** Models kept loaded at once; the least recently used one is unloaded to make room. */
    @WithDefault("2")
    int maxResidentModels();

    /** Sequences generating together in one model's batch. */
    @WithDefault("16")
    int maxBatchSize();

    /** Sequences that may wait for a place in the batch; beyond that a request is answered "overloaded". */
    @WithDefault("64")
    int maxQueued();

    /** How often a resident model's files are compared with storage, to load a newer version. */
    @WithDefault("2s")
    Duration reloadCheck();

    /** A request silent for this long gets an "alive" record, so its gateway knows the worker lives. */
    @WithDefault("1s")
    Duration heartbeat();

    /** Model ids loaded at start (readiness waits for them), e.g. the one model scripts/serve.sh serves. */
    Optional<List<String>> preload();
}
