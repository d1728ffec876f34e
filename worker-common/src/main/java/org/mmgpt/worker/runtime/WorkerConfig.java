package org.mmgpt.worker.runtime;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;

/** {@code mmgpt.worker.*}: how this worker consumes its request topic (see WorkerSettings). */
@ConfigMapping(prefix = "mmgpt.worker")
public interface WorkerConfig {

    /** The request topic: mmgpt.stage-requests for trainers, mmgpt.merge-requests for mergers. */
    String requestsTopic();

    /** The consumer group shared by every worker of this kind. */
    String groupId();

    /** This instance's name in events; defaults to the host name (the pod name in Kubernetes). */
    Optional<String> id();

    /** Static group membership id (e.g. a StatefulSet pod name); unset means dynamic membership. */
    Optional<String> groupInstanceId();

    @WithDefault("1")
    int maxConcurrentJobs();

    @WithDefault("3s")
    Duration progressInterval();

    @WithDefault("60s")
    Duration handoverTimeout();
}
