package org.mmgpt.gateway.kafka;

import io.quarkus.runtime.StartupEvent;
import io.smallrye.common.annotation.Identifier;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.interceptor.Interceptor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.eclipse.microprofile.config.Config;
import org.mmgpt.protocol.topics.TopicProvisioner;
import org.mmgpt.protocol.topics.Topics;

/**
 * Before the messaging channels start (SmallRye starts them at priority 1000): create missing
 * topics, and take the offsets the job table must reach before it is complete ({@link CatchUp}).
 */
@ApplicationScoped
public class KafkaSetup {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final List<String> REBUILT_FROM = List.of(Topics.JOB_STATUS, Topics.JOB_EVENTS, Topics.JOB_CONTROL);

    @Inject
    @Identifier("default-kafka-broker")
    Map<String, Object> kafka;
    @Inject
    Config config;
    @Inject
    CatchUp catchUp;

    void start(@Observes @Priority(Interceptor.Priority.PLATFORM_BEFORE) StartupEvent event)
            throws ExecutionException, InterruptedException, TimeoutException {
        TopicProvisioner.ensure(kafka, Topics.partitionOverrides(key -> config.getOptionalValue(key, Integer.class)), TIMEOUT);
        try (Admin admin = Admin.create(kafka)) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (var description : admin.describeTopics(REBUILT_FROM).allTopicNames()
                    .get(TIMEOUT.toSeconds(), TimeUnit.SECONDS).values()) {
                description.partitions().forEach(p -> partitions.add(new TopicPartition(description.name(), p.partition())));
            }
            catchUp.begin(offsets(admin, partitions, OffsetSpec.earliest()), offsets(admin, partitions, OffsetSpec.latest()));
        }
    }

    private static Map<TopicPartition, Long> offsets(Admin admin, List<TopicPartition> partitions, OffsetSpec spec)
            throws ExecutionException, InterruptedException, TimeoutException {
        Map<TopicPartition, OffsetSpec> request = new HashMap<>();
        partitions.forEach(p -> request.put(p, spec));
        Map<TopicPartition, Long> offsets = new HashMap<>();
        admin.listOffsets(request).all().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS)
                .forEach((partition, info) -> offsets.put(partition, info.offset()));
        return offsets;
    }
}
