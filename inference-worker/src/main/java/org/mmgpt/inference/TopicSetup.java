package org.mmgpt.inference;

import io.quarkus.runtime.StartupEvent;
import io.smallrye.common.annotation.Identifier;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.interceptor.Interceptor;
import java.time.Duration;
import java.util.Map;
import org.eclipse.microprofile.config.Config;
import org.mmgpt.protocol.topics.TopicProvisioner;
import org.mmgpt.protocol.topics.Topics;

/** Creates missing topics before the messaging channels start (SmallRye starts them at priority 1000). */
@ApplicationScoped
public class TopicSetup {

    @Inject
    @Identifier("default-kafka-broker")
    Map<String, Object> kafka;
    @Inject
    Config config;

    void start(@Observes @Priority(Interceptor.Priority.PLATFORM_BEFORE) StartupEvent event) {
        TopicProvisioner.ensure(kafka, Topics.partitionOverrides(key -> config.getOptionalValue(key, Integer.class)),
                Duration.ofSeconds(60));
    }
}
