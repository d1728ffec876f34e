package org.mmgpt.trainer;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.hasItems;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.mmgpt.engine.FileTrees;
import org.mmgpt.engine.lora.LoraConfig;
import org.mmgpt.engine.model.NewModel;
import org.mmgpt.protocol.jobs.JobEvent;
import org.mmgpt.protocol.jobs.JobRequest;
import org.mmgpt.protocol.jobs.JobState;
import org.mmgpt.protocol.jobs.JobStatus;
import org.mmgpt.protocol.jobs.JobType;
import org.mmgpt.protocol.params.JobParams;
import org.mmgpt.protocol.storage.ArtifactStore;
import org.mmgpt.protocol.topics.Topics;
import org.mmgpt.testsupport.EmbeddedKafka;
import org.mmgpt.testsupport.KafkaBrokerResource;
import org.mmgpt.testsupport.KafkaJobs;
import org.mmgpt.testsupport.RepoRoot;
import org.mmgpt.worker.JobResult;

/**
 * The packaged trainer worker against a real broker, running real training jobs with the engine on a
 * micro model with the real Qwen2.5 tokenizer and the project's demo data.
 */
@QuarkusTest
@WithTestResource(KafkaBrokerResource.class)
class TrainerWorkerTest {

    private static final Duration WAIT = Duration.ofSeconds(180);
    private static final Path STORAGE = Path.of("target/test-storage");
    private static KafkaJobs kafka;

    @Inject
    TrainingJobHandler handler;

    @BeforeAll
    static void setUp() throws IOException {
        kafka = new KafkaJobs(EmbeddedKafka.bootstrapServers());
        Path repo = RepoRoot.path();
        Path model = STORAGE.resolve("models/micro");
        if (!Files.exists(model.resolve("config.json"))) {
            NewModel.qwen2("micro", repo.resolve("models/qwen2.5-tokenizer"), 1).write(model);
        }
        copyTree(repo.resolve("data/finetune"), STORAGE.resolve("data/finetune"));
        Path bad = Files.createDirectories(STORAGE.resolve("data/bad-sft"));
        Files.writeString(bad.resolve("a.jsonl"), """
                {"conversations": [{"from": "human", "value": "hi"}, {"from": "gpt", "value": "hello"}]}
                {"conversations": [{"from": "human", "value": "broken"
                """);
    }

    @AfterAll
    static void closeKafka() {
        kafka.close();
    }

    @BeforeEach
    void workerReady() {
        await().atMost(Duration.ofSeconds(30)).until(() -> given().get("/q/health/ready").statusCode() == 200);
    }


    private static void copyTree(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from)) {
            for (Path f : files.toList()) {
                Files.copy(f, to.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    private static String newJobId() {
        return "job-" + UUID.randomUUID().toString().substring(0, 12);
    }

    private static JobRequest sft(String id, String data, int maxSteps) {
        Map<String, Object> p = new HashMap<>();
        p.put("model_name_or_path", "models/micro");
        p.put("train_file_dir", data);
        p.put("max_steps", maxSteps);
        p.put("per_device_train_batch_size", 2);
        p.put("model_max_length", 64);
        p.put("logging_steps", 1);
        p.put("save_steps", 2);
        p.put("validation_split_percentage", 0);
        p.put("learning_rate", 1e-3);
        return new JobRequest(id, JobType.SFT, JobParams.of(p), 1, null, Instant.now());
    }

    private static JobStatus awaitEnd(String jobId) {
        await().atMost(WAIT).until(() -> kafka.status(jobId).map(s -> s.state().isTerminal()).orElse(false));
        return kafka.status(jobId).orElseThrow();
    }

    @Test
    void anSftJobTrainsReportsProgressAndPublishesItsAdapter() {
        String id = newJobId();
        Map<String, Object> params = new HashMap<>(sft(id, "data/finetune", 4).params().asMap());
        params.put("target_modules", List.of("q_proj", "v_proj")); // a list, as JSON gives it
        kafka.submit(new JobRequest(id, JobType.SFT, JobParams.of(params), 1, null, Instant.now()));
        JobStatus ended = awaitEnd(id);
        assertEquals(JobState.SUCCEEDED, ended.state(), ended.error());
        assertEquals(List.of("adapters/" + id), ended.artifacts());
        Path adapter = STORAGE.resolve("adapters/" + id);
        assertTrue(Files.isRegularFile(adapter.resolve("adapter_model.safetensors")));
        assertEquals(8, LoraConfig.read(adapter).r());
        assertEquals(List.of("q_proj", "v_proj"), LoraConfig.read(adapter).targetModules());
        assertTrue(ended.metrics().containsKey("train_loss"));
        assertEquals(4, ended.progress().step());
        assertEquals(4, ended.progress().totalSteps());
        assertTrue(ended.metrics().containsKey("loss") && ended.metrics().containsKey("learning_rate"), ended.metrics().toString());
        assertTrue(Files.isDirectory(STORAGE.resolve("jobs/" + id + "/checkpoints/checkpoint-2")), "checkpoints kept");
    }

    @Test
    void malformedDataFailsNamingFileAndLineAndTheNextJobRuns() {
        String bad = newJobId();
        String next = newJobId();
        kafka.submit(sft(bad, "data/bad-sft", 2));
        kafka.submit(sft(next, "data/finetune", 1));
        JobStatus failed = awaitEnd(bad);
        assertEquals(JobState.FAILED, failed.state());
        // the file as the client names it: relative to the storage root
        assertTrue(failed.error().contains("\ndata/bad-sft/a.jsonl:2: invalid JSON"), failed.error());
        assertTrue(failed.error().contains("skip_bad_lines: true"), failed.error());
        assertEquals(JobState.SUCCEEDED, awaitEnd(next).state());
    }

    @Test
    void cancelReachesTheRunningJobWhichKeepsItsLastCheckpoint() {
        String id = newJobId();
        kafka.submit(sft(id, "data/finetune", 100_000));
        await().atMost(WAIT).until(() -> kafka.status(id)
                .map(s -> s.progress() != null && s.progress().step() >= 3).orElse(false));
        List<JobEvent> running = kafka.events(id).stream().filter(e -> e.state() == JobState.RUNNING).toList();
        assertTrue(running.stream().anyMatch(e -> e.progress() != null && e.metrics().containsKey("loss")),
                "a running job publishes its progress and loss");
        Instant asked = Instant.now();
        kafka.cancel(id, JobType.SFT);
        JobStatus ended = awaitEnd(id);
        assertEquals(JobState.CANCELLED, ended.state());
        assertTrue(Duration.between(asked, ended.endedAt()).toSeconds() < 5, "cancelled within 5 s");
        assertTrue(Files.isDirectory(STORAGE.resolve("jobs/" + id + "/checkpoints/checkpoint-2")));
    }

    @Test
    void aRequestItDoesNotRunFailsAloneAndTheNextIsTaken() {
        String wrong = newJobId();
        String next = newJobId();
        JobStatus queued = JobStatus.queued(new JobRequest(wrong, JobType.MERGE, JobParams.of(Map.of()), 1, null,
                Instant.now()), List.of());
        kafka.publish(queued.queuedEvent(), queued);
        kafka.send(Topics.STAGE_REQUESTS, wrong, queued.request());
        kafka.submit(sft(next, "data/finetune", 1));

        assertEquals("the trainer runs pt, sft and dpo jobs, not merge", awaitEnd(wrong).error());
        assertEquals(JobState.SUCCEEDED, awaitEnd(next).state());
    }

    /**
     * A worker killed after training ended, before its success reached Kafka, leaves the next attempt
     * a finished result: it is published (or found published) as it is, with no step trained again
     * and no second copy in .trash.
     */
    @Test
    void anAttemptAfterOneThatFinishedTrainingPublishesItsResultWithoutTrainingAgain() throws Exception {
        String id = newJobId();
        JobRequest request = sft(id, "data/finetune", 2);
        JobResult first = handler.run(request, (step, total, metrics) -> { }, () -> false);
        Path adapter = STORAGE.resolve("adapters/" + id);
        FileTime publishedAt = Files.getLastModifiedTime(adapter.resolve("adapter_model.safetensors"));
        List<Long> steps = new ArrayList<>();

        // lost after publishing: what is there is the result
        JobResult second = handler.run(request.withAttempt(2), (step, total, metrics) -> steps.add(step), () -> false);
        assertEquals(first, second);
        assertEquals(publishedAt, Files.getLastModifiedTime(adapter.resolve("adapter_model.safetensors")));

        // lost between training and publishing: published now
        FileTrees.delete(adapter);
        JobResult third = handler.run(request.withAttempt(3), (step, total, metrics) -> steps.add(step), () -> false);
        assertEquals(first, third);
        assertTrue(Files.isRegularFile(adapter.resolve("adapter_model.safetensors")));
        assertEquals(List.of(), steps, "no step trained again");
        assertTrue(trashedCopiesOf(id).isEmpty(), "nothing replaced, nothing in .trash");
    }

    private static List<Path> trashedCopiesOf(String id) throws IOException {
        Path trash = STORAGE.resolve(ArtifactStore.TRASH);
        if (!Files.isDirectory(trash)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(trash)) {
            return files.filter(f -> f.getFileName().toString().startsWith(id)).toList();
        }
    }

    @Test
    void healthAndMetricsAreServed() {
        given().get("/q/health").then().statusCode(200).body("checks.name", hasItems("job-worker", "job-requests"));
        given().get("/q/metrics").then().statusCode(200);
    }
}
