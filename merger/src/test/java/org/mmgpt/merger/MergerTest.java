package org.mmgpt.merger;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.hasItems;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.mmgpt.protocol.jobs.JobEvent;
import org.mmgpt.protocol.jobs.JobRequest;
import org.mmgpt.protocol.jobs.JobState;
import org.mmgpt.protocol.jobs.JobStatus;
import org.mmgpt.protocol.jobs.JobType;
import org.mmgpt.protocol.params.JobParams;
import org.mmgpt.protocol.topics.Topics;
import org.mmgpt.testsupport.EmbeddedKafka;
import org.mmgpt.testsupport.KafkaBrokerResource;
import org.mmgpt.testsupport.KafkaJobs;

/** The packaged worker wiring: its request topic, group, handler bean and health, against a real broker. */
@QuarkusTest
@WithTestResource(KafkaBrokerResource.class)
class MergerTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static KafkaJobs kafka;

    @BeforeAll
    static void openKafka() {
        kafka = new KafkaJobs(EmbeddedKafka.bootstrapServers());
    }

    @AfterAll
    static void closeKafka() {
        kafka.close();
    }

    @BeforeEach
    void workerReady() {
        await().atMost(WAIT).until(() -> given().get("/q/health/ready").statusCode() == 200);
    }

    private static JobStatus awaitEnd(String jobId) {
        await().atMost(WAIT).until(() -> kafka.status(jobId).map(s -> s.state().isTerminal()).orElse(false));
        return kafka.status(jobId).orElseThrow();
    }

    private static String newJobId() {
        return "job-" + UUID.randomUUID().toString().substring(0, 12);
    }

    @Test
    void itTakesItsRequestsAndSaysClearlyThatTheEngineIsNotWiredInYet() {
        String id = newJobId();
        kafka.submit(new JobRequest(id, JobType.MERGE, JobParams.of(Map.of()), 1, null, Instant.now()));
        JobStatus ended = awaitEnd(id);
        assertEquals(JobState.FAILED, ended.state());
        assertEquals("merging is not wired to the engine yet", ended.error());
        assertEquals(List.of(JobState.QUEUED, JobState.RUNNING, JobState.FAILED),
                kafka.events(id).stream().map(JobEvent::state).toList());
    }

    @Test
    void aRequestItDoesNotRunFailsAloneAndTheNextIsTaken() {
        String wrong = newJobId();
        String next = newJobId();
        JobStatus queued = JobStatus.queued(new JobRequest(wrong, JobType.SFT, JobParams.of(Map.of()), 1, null,
                Instant.now()), List.of());
        kafka.publish(queued.queuedEvent(), queued);
        kafka.send(Topics.MERGE_REQUESTS, wrong, queued.request());
        kafka.submit(new JobRequest(next, JobType.MERGE, JobParams.of(Map.of()), 1, null, Instant.now()));

        assertEquals("the merger runs merge jobs, not sft", awaitEnd(wrong).error());
        assertEquals(JobState.FAILED, awaitEnd(next).state());
    }

    @Test
    void healthAndMetricsAreServed() {
        given().get("/q/health").then().statusCode(200).body("checks.name", hasItems("job-worker", "job-requests"));
        given().get("/q/metrics").then().statusCode(200);
    }
}
