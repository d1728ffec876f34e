package org.mmgpt.worker.runtime;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.common.annotation.Identifier;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Map;
import java.util.UUID;
import org.eclipse.microprofile.config.Config;
import org.mmgpt.protocol.topics.Topics;
import org.mmgpt.worker.JobHandler;
import org.mmgpt.worker.consumer.JobWorker;
import org.mmgpt.worker.consumer.WorkerSettings;

/** Starts this service's {@link JobWorker} around the module's {@link JobHandler} bean, and stops it. */
@ApplicationScoped
public class WorkerService {

    private final WorkerConfig config;
    private final JobHandler handler;
    private final Map<String, Object> kafka;
    private final Config properties;
    private JobWorker worker;

    @Inject
    public WorkerService(WorkerConfig config, JobHandler handler,
            @Identifier("default-kafka-broker") Map<String, Object> kafka, Config properties) {
        this.config = config;
        this.handler = handler;
        this.kafka = kafka;
        this.properties = properties;
    }

    void start(@Observes StartupEvent event) {
        String workerId = config.id().orElseGet(WorkerService::hostName);
        worker = new JobWorker(new WorkerSettings(kafka, config.requestsTopic(), config.groupId(), workerId,
                config.groupInstanceId(), config.maxConcurrentJobs(), config.progressInterval(),
                config.handoverTimeout(),
                Topics.partitionOverrides(name -> properties.getOptionalValue(name, Integer.class))), handler);
        worker.start();
    }

    void stop(@Observes ShutdownEvent event) {
        if (worker != null) {
            worker.close();
        }
    }

    public boolean isAlive() {
        return worker != null && worker.isAlive();
    }

    public boolean isConsuming() {
        return worker != null && worker.isConsuming();
    }

    public int runningJobs() {
        return worker == null ? 0 : worker.runningJobs().size();
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "worker-" + UUID.randomUUID().toString().substring(0, 8);
        }
    }
}
