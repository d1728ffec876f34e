package org.mmgpt.worker.consumer;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.mmgpt.protocol.jobs.JobRequest;
import org.mmgpt.protocol.jobs.JobState;
import org.mmgpt.protocol.jobs.JobStatus;
import org.mmgpt.protocol.jobs.JobType;
import org.mmgpt.protocol.params.JobParams;

/** A running job's bookkeeping while the broker is away. */
class JobRunTest {

    /**
     * The broker gone: a publish waits for it (up to its timeouts), and the job's handler, which
     * reports at every step, trains on instead of waiting for that publish.
     */
    @Test
    void aProgressReportNeverWaitsForAPublish() throws Exception {
        StatusPublisher publisher = new StatusPublisher(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + portNobodyListensOn(),
                ProducerConfig.MAX_BLOCK_MS_CONFIG, 60_000));
        JobRequest request = new JobRequest("job-away", JobType.SFT, JobParams.of(Map.of()), 1, null, Instant.now());
        JobStatus queued = JobStatus.queued(request, List.of());
        JobRun run = new JobRun(request, new TopicPartition("requests", 0), 0, queued, queued.seq(),
                publisher, "worker-1", Clock.systemUTC());
        AtomicReference<Exception> publishFailure = new AtomicReference<>();
        Thread publishing = new Thread(() -> {
            try {
                run.publish(JobState.RUNNING, null);
            } catch (Exception e) {
                publishFailure.set(e);
            }
        }, "publishing");
        publishing.start();
        try {
            // the publish is under way: waiting for the broker's metadata
            await().atMost(Duration.ofSeconds(30)).until(() -> publishing.getState() == Thread.State.TIMED_WAITING);
            assertTimeoutPreemptively(Duration.ofSeconds(5), () -> {
                for (long step = 1; step <= 100; step++) {
                    run.report(step, 100, Map.of("loss", 1.0 / step));
                }
            }, "a step's report waited for the publish");
        } finally {
            publisher.close(); // ends the waiting publish
            publishing.join(Duration.ofSeconds(30).toMillis());
        }
        assertInstanceOf(StatusPublisher.PublishException.class, publishFailure.get());
    }

    private static int portNobodyListensOn() throws IOException {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress("127.0.0.1", 0));
            return socket.getLocalPort();
        }
    }
}
