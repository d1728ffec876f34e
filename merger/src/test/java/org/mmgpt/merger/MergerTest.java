package org.mmgpt.merger;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.hasItems;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
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
    private static final Path STORAGE = Path.of("target/test-storage");
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

    /** The golden tiny Qwen2 model and its PEFT adapter (made by Hugging Face peft) in storage. */
    private static void goldenInputs() throws IOException {
        Path golden = null;
        for (Path p = Path.of("").toAbsolutePath(); p != null && golden == null; p = p.getParent()) {
            Path g = p.resolve("engine/src/test/resources/golden/qwen2-tiny");
            golden = Files.isDirectory(g) ? g : null;
        }
        if (golden == null) {
            throw new IllegalStateException("no engine/src/test/resources/golden above " + Path.of("").toAbsolutePath());
        }
        for (String d : List.of("model", "adapter")) {
            Path to = Files.createDirectories(STORAGE.resolve("inputs/golden-" + d));
            try (var files = Files.list(golden.resolve(d))) {
                for (Path f : files.toList()) {
                    Files.copy(f, to.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    private static JobRequest merge(String id) {
        return new JobRequest(id, JobType.MERGE, JobParams.of(Map.of("base_model", "inputs/golden-model",
                "lora_model", "inputs/golden-adapter")), 1, null, Instant.now());
    }

    @Test
    void aMergeJobPublishesAVerifiedModel() throws IOException {
        goldenInputs();
        String id = newJobId();
        kafka.submit(merge(id));
        JobStatus ended = awaitEnd(id);
        assertEquals(JobState.SUCCEEDED, ended.state(), ended.error());
        assertEquals(List.of("models/" + id), ended.artifacts());
        Path model = STORAGE.resolve("models/" + id);
        assertTrue(Files.isRegularFile(model.resolve("model.safetensors")));
        JsonNode check = new ObjectMapper().readTree(model.resolve("merge_check.json").toFile());
        assertTrue(check.get("passed").asBoolean());
        assertTrue(ended.metrics().get("merge_max_abs_logit_diff") < 1e-4, ended.metrics().toString());
        assertEquals(List.of(JobState.QUEUED, JobState.RUNNING, JobState.SUCCEEDED),
                kafka.events(id).stream().map(JobEvent::state).distinct().toList());
    }

    @Test
    void aMergeOfAMissingAdapterFailsSayingWhich() {
        String id = newJobId();
        kafka.submit(new JobRequest(id, JobType.MERGE, JobParams.of(Map.of("base_model", "inputs/golden-model",
                "lora_model", "inputs/no-such-adapter")), 1, null, Instant.now()));
        JobStatus ended = awaitEnd(id);
        assertEquals(JobState.FAILED, ended.state());
        assertTrue(ended.error().contains("no-such-adapter"), ended.error());
    }

    @Test
    void aRequestItDoesNotRunFailsAloneAndTheNextIsTaken() throws IOException {
        String wrong = newJobId();
        String next = newJobId();
        JobStatus queued = JobStatus.queued(new JobRequest(wrong, JobType.SFT, JobParams.of(Map.of()), 1, null,
                Instant.now()), List.of());
        kafka.publish(queued.queuedEvent(), queued);
        kafka.send(Topics.MERGE_REQUESTS, wrong, queued.request());
        goldenInputs();
        kafka.submit(merge(next));

        assertEquals("the merger runs merge jobs, not sft", awaitEnd(wrong).error());
        assertEquals(JobState.SUCCEEDED, awaitEnd(next).state());
    }

    @Test
    void healthAndMetricsAreServed() {
        given().get("/q/health").then().statusCode(200).body("checks.name", hasItems("job-worker", "job-requests"));
        given().get("/q/metrics").then().statusCode(200);
    }
}
