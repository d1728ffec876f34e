package org.mmgpt.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.mmgpt.e2e.harness.EventStream;
import org.mmgpt.e2e.harness.Gateway;
import org.mmgpt.e2e.harness.KafkaRecords;
import org.mmgpt.e2e.harness.LocalSystem;
import org.mmgpt.e2e.harness.QuarkusService;
import org.mmgpt.e2e.harness.Waits;
import org.mmgpt.engine.model.NewModel;
import org.mmgpt.engine.model.SafeTensors;
import org.mmgpt.engine.train.Checkpoints;
import org.mmgpt.engine.train.MetricsLog;

/**
 * Faults on the running system, each done for real to the packaged services and the broker: trainers
 * SIGKILLed (one frozen inside a checkpoint save first), a job that keeps killing its worker, a job
 * longer than every Kafka timeout, cancel, deadline, duplicate records published through Kafka, a
 * full disk, the gateway SIGKILLed and the broker stopped while jobs run. Each test asserts the job's
 * final state, attempts, artifacts and losses.
 *
 * <p>One system for the class (a broker, the gateway, two trainers in one group, a merger, an
 * inference worker) on the micro model; the tests run in order and each leaves every service up.
 * The trainers run with Kafka timeouts far below a job's length (session 6 s, max poll interval
 * 5 s), so every job here outlives them, and a dead trainer's partitions move within seconds.
 * Every ended job is recorded when its test checks it; the gateway test then holds the restarted
 * gateway to all of them.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FaultsIT {

    /** Guards against a hang; nothing here asserts how fast anything is, except cancel's 5 s. */
    private static final Duration JOB_END = Duration.ofMinutes(5);
    private static final Duration READY = Duration.ofMinutes(3);
    private static final int SESSION_TIMEOUT_MS = 6_000;
    private static final int MAX_POLL_INTERVAL_MS = 5_000;
    private static final String TRAINERS = "mmgpt-trainers";
    private static final String STAGE_REQUESTS = "mmgpt.stage-requests";
    private static final ObjectMapper JSON = new ObjectMapper();

    private static LocalSystem system;
    private static Gateway gateway;
    private static KafkaRecords kafka;
    /** Ended jobs as their tests saw them: status and history, which no later fault may change. */
    private static final Map<String, Ended> ENDED = new ConcurrentHashMap<>();
    /** The fault report: fault, what happened, what was lost. */
    private static final Map<String, String[]> REPORT = new TreeMap<>();
    /** The job cancelled in test 3: the deadline test compares its losses with this one's. */
    private static String cancelledJob;
    /** The job trained while the gateway was killed: test 8 compares its losses with an uninterrupted run. */
    private static String gatewayKilledJob;

    private record Ended(JsonNode status, List<JsonNode> history) {
    }

    @BeforeAll
    static void start() throws Exception {
        unmountLeftovers(Path.of(System.getProperty("mmgpt.e2e.work", "target/e2e")).toAbsolutePath().normalize()
                .resolve("faults"));
        system = LocalSystem.builder("faults")
                .trainers(2)
                .trainerProperty("kafka.session.timeout.ms", Integer.toString(SESSION_TIMEOUT_MS))
                .trainerProperty("kafka.heartbeat.interval.ms", "2000")
                .trainerProperty("kafka.max.poll.interval.ms", Integer.toString(MAX_POLL_INTERVAL_MS))
                .trainerProperty("mmgpt.worker.handover-timeout", "4s")
                .start();
        gateway = system.gateway();
        kafka = new KafkaRecords(system.broker().bootstrapServers());
        NewModel.qwen2("micro", system.root().resolve("models/qwen2.5-tokenizer"), 42)
                .write(system.storage().resolve("models/micro"));
        Path data = system.root().resolve("data/pretrain");
        Path copy = Files.createDirectories(system.storage().resolve("data/pretrain"));
        try (Stream<Path> files = Files.list(data)) {
            for (Path f : files.toList()) {
                Files.copy(f, copy.resolve(f.getFileName()));
            }
        }
    }

    /**
     * Every test starts on a settled group: both trainers in it, all partitions assigned. A trainer
     * restarted by the test before rejoins with a rebalance that would otherwise hand a new job over.
     */
    @BeforeEach
    void trainersSettled() {
        Waits.until("the trainers' group to settle", READY, Duration.ofMillis(500),
                () -> kafka.settled(TRAINERS, STAGE_REQUESTS, system.trainers().size()) ? Optional.of(true)
                        : Optional.empty(), () -> "not settled");
    }

    @AfterAll
    static void stop() throws IOException {
        if (kafka != null) {
            kafka.close();
        }
        if (system != null) {
            system.close();
        }
        StringBuilder table = new StringBuilder("| fault | what happened | lost |\n|---|---|---|\n");
        REPORT.values().forEach(row -> table.append("| ").append(String.join(" | ", row)).append(" |\n"));
        Path report = Path.of(System.getProperty("mmgpt.e2e.work", "target/e2e")).resolve("faults-report.md");
        Files.createDirectories(report.getParent());
        Files.writeString(report, table.toString(), StandardCharsets.UTF_8);
        System.out.println("fault report (" + report + "):\n" + table);
    }

    // ------------------------------------------------------------------------------------ the faults

    /**
     * A trainer SIGKILLed in the middle of a checkpoint save (frozen there with SIGSTOP first, so the
     * kill lands inside the save for certain) after an earlier checkpoint: the other trainer of the
     * group takes the job over as attempt 2 from the last complete checkpoint, and the job ends as the
     * same job run uninterrupted beside it: same loss at every step, same train_loss, same weights,
     * one published model, nothing half-written left.
     */
    @Test
    @Order(1)
    void aTrainerKilledInsideACheckpointSaveIsReplacedAndTheJobEndsAsIfUninterrupted() throws Exception {
        Map<String, Object> params = fullFineTuning(12, 3);
        String faulted = submit("pt", params);
        String reference = submit("pt", params);
        ArtifactWatch watch = ArtifactWatch.start(system.storage().resolve("models/" + faulted));
        ArtifactWatch referenceWatch = ArtifactWatch.start(system.storage().resolve("models/" + reference));

        JsonNode running = awaitJob(faulted, "RUNNING", j -> state(j).equals("RUNNING"));
        QuarkusService victim = system.trainer(running.get("worker_id").asText());
        Path work = checkpoints(faulted);
        Waits.until("checkpoint-3 of " + faulted, JOB_END, Duration.ofMillis(50),
                () -> Files.isRegularFile(work.resolve("checkpoint-3/trainer_state.json")) ? Optional.of(true)
                        : Optional.empty(), () -> list(work));
        Path halfSaved = freezeInsideACheckpointSave(victim, work);
        victim.kill();
        assertTrue(Files.isDirectory(halfSaved), "the kill landed inside the save of " + halfSaved);
        long lastComplete = Checkpoints.step(Checkpoints.latest(work));

        JsonNode ended = gateway.awaitEnd(faulted, JOB_END);
        JsonNode straight = gateway.awaitEnd(reference, JOB_END);
        assertEquals("SUCCEEDED", state(ended), () -> ended + system.logTails(60));
        assertEquals("SUCCEEDED", state(straight), straight::toString);
        assertEquals(2, ended.get("attempts").asInt(), ended::toString);
        assertEquals(1, straight.get("attempts").asInt(), straight::toString);
        assertNotEquals(victim.name(), ended.get("worker_id").asText(), "taken over by the other trainer");
        List<JsonNode> history = gateway.events(faulted, Duration.ofMinutes(1));
        assertEquals(List.of("QUEUED", "RUNNING", "RETRYING", "RUNNING", "SUCCEEDED"), states(history));
        JsonNode retrying = history.stream().filter(e -> state(e).equals("RETRYING")).findFirst().orElseThrow();
        assertEquals(2, retrying.get("attempt").asInt());
        assertTrue(retrying.get("error").asText().contains("attempt 1 ended without finishing"), retrying::toString);
        assertTrue(history.stream().filter(e -> e.get("attempt").asInt() == 1 && state(e).equals("RUNNING"))
                .allMatch(e -> e.get("worker_id").asText().equals(victim.name())), history::toString);

        // resumed from the last complete checkpoint, and the half-written one is gone
        assertEquals(lastComplete, ended.at("/metrics/resumed_from_step").asLong(), ended::toString);
        assertTrue(straight.at("/metrics/resumed_from_step").isMissingNode(), straight::toString);
        assertFalse(Files.exists(halfSaved), "the killed save's staging folder is cleared");

        // the same job, uninterrupted: the same loss at every step, the same train_loss and weights
        Path model = system.storage().resolve("models/" + faulted);
        Path referenceModel = system.storage().resolve("models/" + reference);
        Map<Long, Double> losses = losses(model);
        Map<Long, Double> referenceLosses = losses(referenceModel);
        assertEquals(12, losses.size(), "one loss per step, none twice: " + losses.keySet());
        for (long step = 1; step <= 12; step++) {
            assertClose(referenceLosses.get(step), losses.get(step), "loss at step " + step);
        }
        assertClose(straight.at("/metrics/loss").asDouble(), ended.at("/metrics/loss").asDouble(), "final loss");
        assertClose(straight.at("/metrics/train_loss").asDouble(), ended.at("/metrics/train_loss").asDouble(),
                "train_loss");
        double weights = maxWeightDifference(model.resolve("model.safetensors"), referenceModel.resolve("model.safetensors"));
        assertTrue(weights < 1e-5, "weights differ by " + weights);

        // one published model, nothing staged or trashed left
        assertEquals(List.of("models/" + faulted), texts(ended.get("artifacts")));
        assertEquals(1, listedArtifacts().stream().filter(p -> p.contains(faulted)).count(), listedArtifacts()::toString);
        assertEquals(List.of(), stagingLeft(faulted));
        assertEquals(List.of(), trashed(faulted));
        assertTrue(watch.stop().sawOnlyTheFinishedArtifact(), watch::toString);
        assertTrue(referenceWatch.stop().sawOnlyTheFinishedArtifact(), referenceWatch::toString);

        victim.start();
        victim.awaitReady(READY);
        record(faulted);
        record(reference);
        report("1 trainer SIGKILL inside a checkpoint save",
                "frozen while writing checkpoint-" + stepOf(halfSaved) + ", killed; the other trainer took the job over"
                        + " (RETRYING, attempt 2) from checkpoint-" + lastComplete + "; SUCCEEDED with the same loss at"
                        + " all 12 steps, train_loss and weights (max difference " + weights + ") as an uninterrupted run;"
                        + " one model published, never seen half-written",
                "nothing (steps after checkpoint-" + lastComplete + " trained again)");
    }

    /**
     * A job that keeps killing its worker: each attempt's trainer is SIGKILLed and restarted at once, as
     * a supervisor would; with max_retries 1 the third pickup ends it FAILED, saying why.
     */
    @Test
    @Order(2)
    void aJobThatKeepsKillingItsWorkerFailsAfterMaxRetries() {
        String job = submit("pt", lora(100_000, 50, Map.of("max_retries", 1)));
        List<String> killed = new ArrayList<>();
        for (int attempt = 1; attempt <= 2; attempt++) {
            int expected = attempt;
            JsonNode running = awaitJob(job, "attempt " + attempt + " RUNNING",
                    j -> state(j).equals("RUNNING") && j.get("attempts").asInt() == expected);
            QuarkusService victim = system.trainer(running.get("worker_id").asText());
            victim.kill();
            killed.add(victim.name());
            victim.start(); // a crashed pod comes back
        }
        JsonNode ended = gateway.awaitEnd(job, JOB_END);
        assertEquals("FAILED", state(ended), () -> ended + system.logTails(40));
        assertEquals(2, ended.get("attempts").asInt(), ended::toString);
        String error = ended.get("error").asText();
        assertTrue(error.contains("gave up after 2 attempts") && error.contains("max_retries 1"), error);
        List<JsonNode> history = gateway.events(job, Duration.ofMinutes(1));
        assertEquals(List.of("QUEUED", "RUNNING", "RETRYING", "RUNNING", "FAILED"), states(history));
        assertEquals(List.of(), texts(ended.get("artifacts")));
        system.trainers().forEach(t -> t.awaitReady(READY));
        record(job);
        report("2 a job that keeps killing its worker (max_retries 1)",
                "attempts on " + String.join(" then ", killed) + " SIGKILLed; the next pickup ended it FAILED: " + error,
                "nothing: the end is stated, the checkpoints kept");
    }

    /**
     * A job that runs far longer than the trainers' max.poll.interval.ms and session timeout keeps its
     * one attempt on its one worker; cancel through REST stops it at a step boundary within 5 s with
     * its checkpoint kept, and the worker takes the next job.
     */
    @Test
    @Order(3)
    void aJobLongerThanEveryKafkaTimeoutStaysWithItsWorkerAndCancelStopsItAtAStepBoundary() throws IOException {
        String job = submit("pt", lora(100_000, 10, Map.of()));
        JsonNode running = awaitJob(job, "its first step", j -> state(j).equals("RUNNING")
                && j.at("/progress/step").asLong() >= 1);
        String worker = running.get("worker_id").asText();
        String settings = "(session.timeout.ms " + SESSION_TIMEOUT_MS + ", max.poll.interval.ms " + MAX_POLL_INTERVAL_MS;
        assertTrue(system.trainer(worker).process().logSince(0).contains(settings), "the trainer runs with " + settings);
        long firstStep = running.at("/progress/step").asLong();
        Duration watched = Duration.ofMillis(2L * Math.max(SESSION_TIMEOUT_MS, MAX_POLL_INTERVAL_MS) + 1_000);
        long until = System.nanoTime() + watched.toNanos();
        JsonNode now = running;
        while (System.nanoTime() < until) {
            now = gateway.job(job);
            assertEquals("RUNNING", state(now), now::toString);
            assertEquals(1, now.get("attempts").asInt(), now::toString);
            assertEquals(worker, now.get("worker_id").asText(), now::toString);
            Waits.sleep(Duration.ofMillis(500));
        }
        long stepAfterWatch = now.at("/progress/step").asLong();
        assertTrue(stepAfterWatch > firstStep, "it trained all along: " + firstStep + " -> " + stepAfterWatch);

        Instant asked = Instant.now();
        Gateway.Response cancel = gateway.post("/v1/jobs/" + job + "/cancel", "");
        assertEquals(202, cancel.status(), cancel.text());
        JsonNode ended = gateway.awaitEnd(job, JOB_END);
        assertEquals("CANCELLED", state(ended), ended::toString);
        Duration took = Duration.between(asked, Instant.parse(ended.get("ended_at").asText()));
        assertTrue(took.compareTo(Duration.ofSeconds(5)) <= 0, "cancelled " + took.toMillis() + " ms after the request");
        assertEquals(1, ended.get("attempts").asInt());
        long stoppedAt = ended.at("/progress/step").asLong();
        Path checkpoint = checkpoints(job).resolve("checkpoint-" + stoppedAt);
        assertEquals(stoppedAt, JSON.readTree(checkpoint.resolve("trainer_state.json").toFile()).get("global_step").asLong(),
                "the checkpoint of the step it stopped at is kept");
        assertEquals(List.of(), texts(ended.get("artifacts")));
        assertFalse(Files.exists(system.storage().resolve("adapters/" + job)));
        assertEquals(stoppedAt, losses(checkpoints(job)).size(), "one loss per step trained, none twice");
        cancelledJob = job;
        List<JsonNode> history = gateway.events(job, Duration.ofMinutes(1));
        assertEquals(List.of("QUEUED", "RUNNING", "CANCELLED"), states(history));
        assertTrue(history.stream().skip(1).allMatch(e -> e.get("attempt").asInt() == 1
                && e.get("worker_id").asText().equals(worker)), history::toString);

        QuarkusService trainer = system.trainer(worker);
        Waits.until(worker + " to be free", Duration.ofMinutes(1), Duration.ofMillis(200),
                () -> trainer.health("live").filter(h -> h.contains("\"running_jobs\": 0")
                        || h.contains("\"running_jobs\":0")).map(h -> true), () -> trainer.health("live").orElse("-"));
        String next = submit("pt", lora(4, 2, Map.of()));
        JsonNode nextEnded = gateway.awaitEnd(next, JOB_END);
        assertEquals("SUCCEEDED", state(nextEnded), nextEnded::toString);
        record(job);
        record(next);
        report("3 a job longer than every Kafka timeout, then cancel",
                "ran " + watched.toSeconds() + " s (max.poll.interval.ms " + MAX_POLL_INTERVAL_MS + ", session.timeout.ms "
                        + SESSION_TIMEOUT_MS + ") as attempt 1 on " + worker + ", never redelivered; cancel reached it"
                        + " through Kafka and it ended CANCELLED " + took.toMillis() + " ms after the request, at step "
                        + stoppedAt + ", checkpoint-" + stoppedAt + " kept; the next job ran",
                "nothing");
    }

    /**
     * A job past its deadline_seconds ends FAILED with DeadlineExceeded, its last checkpoint kept; up to
     * where they stopped, it trained exactly as the job of the same parameters cancelled in test 3.
     */
    @Test
    @Order(4)
    void aJobPastItsDeadlineFailsWithDeadlineExceeded() throws IOException {
        String job = submit("pt", lora(100_000, 10, Map.of("deadline_seconds", 8)));
        JsonNode ended = gateway.awaitEnd(job, JOB_END);
        assertEquals("FAILED", state(ended), ended::toString);
        assertTrue(ended.get("error").asText().startsWith("DeadlineExceeded"), ended::toString);
        assertEquals(1, ended.get("attempts").asInt());
        Duration ran = Duration.between(Instant.parse(ended.get("started_at").asText()),
                Instant.parse(ended.get("ended_at").asText()));
        assertTrue(ran.compareTo(Duration.ofSeconds(8)) >= 0, "it ran its 8 s first: " + ran);
        long stoppedAt = ended.at("/progress/step").asLong();
        assertTrue(stoppedAt > 0, "it trained before its deadline: " + ended);
        assertEquals(stoppedAt, JSON.readTree(checkpoints(job).resolve("checkpoint-" + stoppedAt + "/trainer_state.json")
                .toFile()).get("global_step").asLong(), "the checkpoint of the step it stopped at is kept");
        assertEquals(List.of(), texts(ended.get("artifacts")));
        assertFalse(Files.exists(system.storage().resolve("adapters/" + job)));

        assertNotNull(cancelledJob, "test 3 ran the same job and cancelled it");
        Map<Long, Double> losses = losses(checkpoints(job));
        Map<Long, Double> cancelledLosses = losses(checkpoints(cancelledJob));
        assertEquals(stoppedAt, losses.size(), "one loss per step trained, none twice");
        long common = Math.min(stoppedAt, cancelledLosses.size());
        for (long step = 1; step <= common; step++) {
            assertClose(cancelledLosses.get(step), losses.get(step), "loss at step " + step);
        }
        record(job);
        report("7 deadline_seconds 8",
                "stopped at step " + stoppedAt + " after " + ran.toMillis() + " ms: FAILED \"" + ended.get("error").asText()
                        + "\"; the losses of steps 1 to " + common + " those of test 3's job",
                "nothing: checkpoint-" + stoppedAt + " kept");
    }

    /**
     * A job's request published again (while it runs and after it ended) and its whole history and
     * snapshot published again through Kafka: the job runs once, and neither the workers nor the
     * gateway change anything.
     */
    @Test
    @Order(5)
    void duplicateRequestsAndStatusEventsChangeNothing() throws IOException {
        String job = submit("pt", lora(6, 2, Map.of()));
        awaitJob(job, "RUNNING", j -> state(j).equals("RUNNING"));
        List<ConsumerRecord<String, byte[]>> requests = kafka.read(STAGE_REQUESTS, job);
        assertEquals(1, requests.size());
        byte[] request = requests.get(0).value();
        kafka.publish(STAGE_REQUESTS, job, request); // a redelivery while it runs
        JsonNode ended = gateway.awaitEnd(job, JOB_END);
        assertEquals("SUCCEEDED", state(ended), ended::toString);
        List<JsonNode> history = gateway.events(job, Duration.ofMinutes(1));
        Path adapter = system.storage().resolve("adapters/" + job + "/adapter_model.safetensors");
        var publishedAt = Files.getLastModifiedTime(adapter);
        assertEquals(6, losses(adapter.getParent()).size(), "one loss per step, none twice");
        record(job); // before the duplicates: what must stay

        List<ConsumerRecord<String, byte[]>> events = kafka.read("mmgpt.job-events", job);
        List<ConsumerRecord<String, byte[]>> snapshots = kafka.read("mmgpt.job-status", job);
        assertEquals(history.size(), events.size(), "one record per event so far");
        for (ConsumerRecord<String, byte[]> event : events) {
            kafka.publish("mmgpt.job-events", job, event.value());
        }
        byte[] latest = snapshots.get(snapshots.size() - 1).value();
        kafka.publish("mmgpt.job-status", job, latest);
        kafka.publish("mmgpt.job-status", job, latest);
        kafka.publish(STAGE_REQUESTS, job, request); // and after it ended, behind its duplicated status

        // the trainers read both duplicate requests and committed them without running anything
        TopicPartition partition = new TopicPartition(STAGE_REQUESTS, kafka.partitionOf(STAGE_REQUESTS, job));
        long end = kafka.endOffset(partition);
        Waits.until("the trainers to commit the duplicates of " + job, JOB_END, Duration.ofMillis(250),
                () -> kafka.committed(TRAINERS, partition) >= end ? Optional.of(true) : Optional.empty(),
                () -> "committed " + kafka.committed(TRAINERS, partition) + " of " + end);
        assertEquals(ENDED.get(job).status(), gateway.job(job));
        assertEquals(history, gateway.events(job, Duration.ofMinutes(1)));
        assertEquals(publishedAt, Files.getLastModifiedTime(adapter), "the adapter was not written again");
        assertEquals(List.of(), stagingLeft(job));
        assertEquals(List.of(), trashed(job));
        List<String> seqs = kafka.read("mmgpt.job-events", job).stream().map(r -> readSeq(r.value())).toList();
        assertEquals(2 * history.size(), seqs.size(), "only the test's copies were added: " + seqs);
        report("5 duplicate request and status events",
                "the request published again while the job ran and after it ended, its " + history.size()
                        + " events and its snapshot published again: the trainers committed both requests without"
                        + " running the job again; status, history and adapter unchanged",
                "nothing, and nothing done twice");
    }

    /**
     * The storage's jobs/ on a 1 MiB tmpfs: checkpoints fit, the result does not. The job fails with
     * a clear error, its checkpoints stay complete and readable, no model appears, and the trainer
     * goes on with the next job. Where mounting is not allowed, jobs/ refuses writes instead.
     */
    @Test
    @Order(6)
    void aFullDiskFailsTheJobWithAClearErrorAndLeavesNoModel() throws Exception {
        Path jobs = Files.createDirectories(system.storage().resolve("jobs"));
        boolean mounted = Boolean.parseBoolean(System.getProperty("mmgpt.e2e.faults.tmpfs", "true"))
                && run("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", jobs.toString()) == 0;
        Path aside = system.storage().resolve(".jobs-aside");
        String job;
        JsonNode ended;
        List<Path> kept = new ArrayList<>();
        try {
            if (!mounted) {
                Files.move(jobs, aside);
                Files.writeString(jobs, "a file where the jobs directory should be: writes below it fail");
            }
            job = submit("pt", lora(8, 2, Map.of()));
            ended = gateway.awaitEnd(job, JOB_END);
            assertEquals("FAILED", state(ended), ended::toString);
            String error = ended.get("error").asText();
            assertTrue(error.contains("jobs/" + job), error);
            assertFalse(error.contains(system.storage().toString()), "paths as the client names them: " + error);
            if (mounted) {
                assertTrue(error.contains("No space left on device"), error);
                Path work = checkpoints(job);
                assertFalse(Files.exists(work.resolve("adapter_config.json")), "no half result in the work directory");
                try (Stream<Path> files = Files.list(work)) {
                    assertEquals(List.of(), files.filter(f -> f.getFileName().toString().startsWith(".")).toList(),
                            "no staging left");
                }
                kept.addAll(Checkpoints.list(work));
                assertFalse(kept.isEmpty(), "the checkpoints written before the disk filled are kept");
                for (Path checkpoint : kept) {
                    assertEquals(Checkpoints.step(checkpoint),
                            JSON.readTree(checkpoint.resolve("trainer_state.json").toFile()).get("global_step").asLong());
                    assertWholeSafetensors(checkpoint.resolve("adapter_model.safetensors"));
                    assertWholeSafetensors(checkpoint.resolve("optimizer.safetensors"));
                }
            }
        } finally {
            if (mounted) {
                unmount(jobs);
            } else if (Files.exists(aside)) {
                Files.delete(jobs);
                Files.move(aside, jobs);
            }
        }
        assertFalse(Files.exists(system.storage().resolve("adapters/" + job)), "no model, whole or half");
        assertTrue(listedArtifacts().stream().noneMatch(p -> p.contains(job)), listedArtifacts()::toString);
        assertEquals(List.of(), texts(ended.get("artifacts")));
        String next = submit("pt", lora(2, 2, Map.of()));
        assertEquals("SUCCEEDED", state(gateway.awaitEnd(next, JOB_END)));
        record(job);
        record(next);
        report("6 disk full (" + (mounted ? "1 MiB tmpfs as jobs/" : "jobs/ refusing writes") + ")",
                "FAILED \"" + ended.get("error").asText().replace("|", "/") + "\""
                        + (mounted ? "; checkpoints " + kept.stream().map(p -> p.getFileName().toString()).toList()
                        + " complete and readable" : "") + "; no model; the next job ran",
                "nothing but the job's unfinished run");
    }

    /**
     * The gateway SIGKILLed while a job runs and a client follows its events: restarted, it rebuilds
     * every job from Kafka — each status, history and the artifacts as they were — and the client
     * that reconnects with Last-Event-ID gets exactly the events it had not seen.
     */
    @Test
    @Order(7)
    void theGatewayKilledAndRestartedRebuildsEveryJobAndTheEventStreamResumes() {
        ENDED.forEach((id, ended) -> {
            assertEquals(ended.status(), gateway.job(id), "status of " + id + " before the kill");
            assertEquals(ended.history(), gateway.events(id, Duration.ofMinutes(1)), "history of " + id + " before the kill");
        });
        Map<String, JsonNode> jobsBefore = gateway.jobs();
        List<String> artifactsBefore = listedArtifacts();
        String job = submit("pt", lora(40, 5, Map.of()));
        gatewayKilledJob = job;
        EventStream first = gateway.stream(job, null);
        first.awaitEvents(3, JOB_END);
        QuarkusService service = system.gatewayService();
        service.kill();
        first.awaitClosed(Duration.ofMinutes(1));
        assertNotNull(first.broken(), "the stream broke with the gateway");
        long lastSeen = first.lastSeq().orElseThrow();
        Instant killedAt = Instant.now();
        service.start();
        service.awaitReady(READY);
        Duration down = Duration.between(killedAt, Instant.now());

        EventStream second = gateway.stream(job, lastSeen).awaitClosed(JOB_END);
        assertTrue(second.ended(), () -> "the stream ended with the job, did not break: " + second.broken());
        List<JsonNode> seen = new ArrayList<>(first.events());
        seen.addAll(second.events());
        List<JsonNode> history = gateway.events(job, Duration.ofMinutes(1));
        assertEquals(history, seen, "the reconnected client missed nothing and got nothing twice");
        for (int i = 0; i < seen.size(); i++) {
            assertEquals(i + 1, seen.get(i).get("seq").asLong(), "seq " + (i + 1));
        }
        assertEquals("SUCCEEDED", state(history.get(history.size() - 1)));

        Map<String, JsonNode> jobsAfter = gateway.jobs();
        jobsBefore.forEach((id, before) -> assertEquals(before, jobsAfter.get(id), "job " + id + " after the restart"));
        assertEquals(jobsBefore.size() + 1, jobsAfter.size());
        ENDED.forEach((id, ended) -> {
            assertEquals(ended.status(), gateway.job(id), "status of " + id);
            assertEquals(ended.history(), gateway.events(id, Duration.ofMinutes(1)), "history of " + id);
        });
        List<String> artifactsAfter = listedArtifacts();
        assertTrue(artifactsAfter.containsAll(artifactsBefore), artifactsAfter::toString);
        assertEquals(List.of("adapters/" + job), artifactsAfter.stream().filter(p -> !artifactsBefore.contains(p)).toList());
        record(job);
        report("4 gateway SIGKILL and restart",
                "killed while a client followed a running job; back after " + down.toSeconds() + " s, every one of "
                        + jobsBefore.size() + " jobs' status and history identical, rebuilt from Kafka; the client"
                        + " reconnected with Last-Event-ID " + lastSeen + " and got seq " + (lastSeen + 1) + " to "
                        + history.size() + " once each; the job SUCCEEDED (its losses: row 8)",
                "nothing");
    }

    /**
     * The broker stopped while a job runs and started again: the trainer trains on, every client
     * reconnects by itself, the job ends once with its one artifact and its status catches up; the
     * gateway and the trainers take new work afterwards.
     */
    @Test
    @Order(8)
    void theBrokerStoppedAndStartedWhileAJobRunsLosesAndDuplicatesNothing() {
        String job = submit("pt", lora(40, 5, Map.of()));
        JsonNode running = awaitJob(job, "its second step", j -> state(j).equals("RUNNING")
                && j.at("/progress/step").asLong() >= 2);
        EventStream events = gateway.stream(job, null);
        events.awaitEvents(2, JOB_END);
        Path metrics = checkpoints(job).resolve("metrics.jsonl");
        Instant stoppedAt = Instant.now();
        system.broker().stop();
        long stepsBefore = lines(metrics);
        Waits.sleep(Duration.ofSeconds(5));
        long stepsDuring = lines(metrics) - stepsBefore;
        system.broker().start(READY);
        Duration down = Duration.between(stoppedAt, Instant.now());

        JsonNode ended = gateway.awaitEnd(job, JOB_END);
        assertEquals("SUCCEEDED", state(ended), () -> ended + system.logTails(60));
        assertEquals(1, ended.get("attempts").asInt(), () -> "one attempt, no hand-over: " + ended);
        assertEquals(running.get("worker_id").asText(), ended.get("worker_id").asText());
        assertEquals(List.of("adapters/" + job), texts(ended.get("artifacts")));
        assertEquals(1, listedArtifacts().stream().filter(p -> p.contains(job)).count());
        assertEquals(List.of(), trashed(job));
        assertTrue(stepsDuring > 0, "it trained on while the broker was away");

        List<JsonNode> history = gateway.events(job, Duration.ofMinutes(1));
        assertEquals(List.of("QUEUED", "RUNNING", "SUCCEEDED"), states(history));
        assertTrue(strictlyIncreasing(history), history::toString);
        events.awaitClosed(JOB_END);
        assertTrue(events.ended(), () -> "the gateway's stream outlived the broker: " + events.broken());
        assertEquals(history, events.events(), "a client that followed all along got every event once");

        // the same job again, with nothing broken: this one and the one of the gateway test trained the same
        String reference = submit("pt", lora(40, 5, Map.of()));
        JsonNode straight = gateway.awaitEnd(reference, JOB_END);
        assertEquals("SUCCEEDED", state(straight), straight::toString);
        assertEquals(1, straight.get("attempts").asInt(), straight::toString);
        assertNotNull(gatewayKilledJob, "test 7 ran the same job while the gateway was killed");
        Map<Long, Double> referenceLosses = losses(system.storage().resolve("adapters/" + reference));
        assertEquals(40, referenceLosses.size(), referenceLosses.keySet()::toString);
        for (String other : List.of(job, gatewayKilledJob)) {
            Map<Long, Double> losses = losses(system.storage().resolve("adapters/" + other));
            assertEquals(referenceLosses.keySet(), losses.keySet(), "one loss per step, none twice: " + other);
            for (long step = 1; step <= 40; step++) {
                assertClose(referenceLosses.get(step), losses.get(step), other + ": loss at step " + step);
            }
            assertClose(straight.at("/metrics/train_loss").asDouble(), gateway.job(other).at("/metrics/train_loss").asDouble(),
                    other + ": train_loss");
        }
        record(job);
        record(reference);
        report("8 broker stop and start",
                "stopped for " + down.toSeconds() + " s while a job trained (" + stepsDuring
                        + " steps in the 5 s the broker was away); clients reconnected by themselves; the job ended SUCCEEDED"
                        + " with attempt 1 and one adapter, " + history.size() + " events in order, the loss of all 40 steps"
                        + " and train_loss those of the same job run afterwards with nothing broken (as was the gateway"
                        + " test's job)",
                "nothing (progress reports were late while the broker was away)");
    }

    // ------------------------------------------------------------------------------------ the jobs

    /** LoRA pretraining of the micro model: steps of well under a second, a checkpoint every saveSteps. */
    private static Map<String, Object> lora(int maxSteps, int saveSteps, Map<String, Object> extra) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("model_name_or_path", "models/micro");
        p.put("train_file_dir", "data/pretrain");
        p.put("block_size", 64);
        p.put("per_device_train_batch_size", 2);
        p.put("per_device_eval_batch_size", 2);
        p.put("max_eval_samples", 2);
        p.put("max_steps", maxSteps);
        p.put("save_steps", saveSteps);
        p.put("logging_steps", 1);
        p.put("learning_rate", 1e-3);
        p.put("target_modules", List.of("q_proj", "v_proj"));
        p.putAll(extra);
        return p;
    }

    /** Full fine-tuning of the micro model: each checkpoint is about 120 MB, so a save takes a while. */
    private static Map<String, Object> fullFineTuning(int maxSteps, int saveSteps) {
        Map<String, Object> p = lora(maxSteps, saveSteps, Map.of("use_peft", false, "save_total_limit", 2));
        p.remove("target_modules");
        return p;
    }

    private static String submit(String type, Map<String, Object> params) {
        return gateway.submit(type, params).get("id").asText();
    }

    private static JsonNode awaitJob(String id, String what, Predicate<JsonNode> condition) {
        AtomicReference<JsonNode> last = new AtomicReference<>();
        return Waits.until(id + ": " + what, JOB_END, Duration.ofMillis(100), () -> {
            JsonNode job = gateway.job(id);
            last.set(job);
            if (Gateway.TERMINAL.contains(state(job)) && !condition.test(job)) {
                throw new AssertionError(id + " ended before " + what + ": " + job + system.logTails(40));
            }
            return condition.test(job) ? Optional.of(job) : Optional.empty();
        }, () -> String.valueOf(last.get()));
    }

    /**
     * Waits for the trainer to start writing a checkpoint after the ones already there, and freezes it
     * (SIGSTOP) while it writes: the staging folder exists and the checkpoint does not. If the save
     * ended before the freeze took, the trainer goes on and the next save is tried.
     */
    private static Path freezeInsideACheckpointSave(QuarkusService trainer, Path work) throws IOException {
        long deadline = System.nanoTime() + JOB_END.toNanos();
        while (System.nanoTime() < deadline) {
            Optional<Path> staging = checkpointStaging(work);
            if (staging.isEmpty()) {
                Waits.sleep(Duration.ofMillis(2));
                continue;
            }
            trainer.process().freeze();
            Path target = work.resolve(staging.get().getFileName().toString().replaceFirst("^\\.(checkpoint-\\d+)\\..*", "$1"));
            if (Files.isDirectory(staging.get()) && !Files.exists(target)) {
                return staging.get();
            }
            trainer.process().thaw();
            Waits.until("the save into " + staging.get() + " to end", JOB_END, Duration.ofMillis(5),
                    () -> Files.exists(staging.get()) ? Optional.empty() : Optional.of(true), () -> list(work));
        }
        throw new AssertionError("never caught " + trainer + " inside a checkpoint save: " + list(work));
    }

    private static Optional<Path> checkpointStaging(Path work) throws IOException {
        if (!Files.isDirectory(work)) {
            return Optional.empty();
        }
        try (Stream<Path> files = Files.list(work)) {
            return files.filter(f -> f.getFileName().toString().matches("\\.checkpoint-\\d+\\..*\\.tmp")).findFirst();
        }
    }

    // ------------------------------------------------------------------------------------ what is left

    private static Path checkpoints(String job) {
        return system.storage().resolve("jobs").resolve(job).resolve("checkpoints");
    }

    /** Lines of a metrics.jsonl: with logging_steps 1, the steps trained so far. */
    private static long lines(Path file) {
        try (Stream<String> lines = Files.lines(file)) {
            return lines.count();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** What is left in the job's staging directory. */
    private static List<String> stagingLeft(String job) throws IOException {
        Path staging = system.storage().resolve("jobs").resolve(job).resolve("staging");
        if (!Files.isDirectory(staging)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(staging)) {
            return files.map(f -> f.getFileName().toString()).toList();
        }
    }

    /** Earlier copies of the job's artifacts moved into .trash. */
    private static List<String> trashed(String job) {
        Path trash = system.storage().resolve(".trash");
        if (!Files.isDirectory(trash)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(trash)) {
            return files.map(f -> f.getFileName().toString()).filter(name -> name.startsWith(job)).toList();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static List<String> listedArtifacts() {
        List<String> paths = new ArrayList<>();
        gateway.get("/v1/artifacts").json().get("items").forEach(item -> paths.add(item.get("path").asText()));
        return paths;
    }

    /** The loss of every step from the result's metrics.jsonl (evaluation lines left out). */
    private static Map<Long, Double> losses(Path result) {
        Map<Long, Double> losses = new TreeMap<>();
        for (Map<String, Object> line : MetricsLog.read(result.resolve("metrics.jsonl"))) {
            if (line.get("loss") instanceof Number loss) {
                Double before = losses.put(((Number) line.get("step")).longValue(), loss.doubleValue());
                assertEquals(null, before, "step " + line.get("step") + " logged twice");
            }
        }
        return losses;
    }

    /**
     * A safetensors file is whole: its header parses and its data ends where the file does. Read with
     * plain I/O (no memory map, which would keep the test's own hold on the file system).
     */
    private static void assertWholeSafetensors(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        long headerLength = java.nio.ByteBuffer.wrap(bytes, 0, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
        JsonNode header = JSON.readTree(new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8));
        long dataEnd = 0;
        int tensors = 0;
        for (Map.Entry<String, JsonNode> entry : header.properties()) {
            if (!entry.getKey().equals("__metadata__")) {
                dataEnd = Math.max(dataEnd, entry.getValue().get("data_offsets").get(1).asLong());
                tensors++;
            }
        }
        assertTrue(tensors > 0, file + " holds no tensor");
        assertEquals(bytes.length, 8 + headerLength + dataEnd, file + " is cut short or too long");
    }

    private static double maxWeightDifference(Path a, Path b) {
        try (NDManager manager = NDManager.newBaseManager()) {
            SafeTensors x = SafeTensors.open(a);
            SafeTensors y = SafeTensors.open(b);
            assertEquals(x.names(), y.names());
            double max = 0;
            for (String name : x.names()) {
                max = Math.max(max, x.load(name, manager).sub(y.load(name, manager)).abs().max().getFloat());
            }
            return max;
        }
    }

    private static void assertClose(double expected, double actual, String what) {
        assertEquals(expected, actual, Math.abs(expected) * 1e-5, what);
    }

    // ------------------------------------------------------------------------------------ small things

    private static void record(String job) {
        ENDED.put(job, new Ended(gateway.job(job), gateway.events(job, Duration.ofMinutes(1))));
    }

    private static void report(String fault, String happened, String lost) {
        REPORT.put(fault, new String[] {fault, happened, lost});
    }

    private static String state(JsonNode jobOrEvent) {
        return jobOrEvent.get("state").asText();
    }

    /** The states a history went through, repeats (progress reports) folded. */
    private static List<String> states(List<JsonNode> history) {
        List<String> states = new ArrayList<>();
        for (JsonNode event : history) {
            if (states.isEmpty() || !states.get(states.size() - 1).equals(state(event))) {
                states.add(state(event));
            }
        }
        return states;
    }

    private static boolean strictlyIncreasing(List<JsonNode> history) {
        for (int i = 1; i < history.size(); i++) {
            if (history.get(i).get("seq").asLong() <= history.get(i - 1).get("seq").asLong()) {
                return false;
            }
        }
        return true;
    }

    private static String readSeq(byte[] event) {
        try {
            return JSON.readTree(event).get("seq").asText();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(node -> out.add(node.asText()));
        return out;
    }

    private static long stepOf(Path checkpointStaging) {
        return Long.parseLong(checkpointStaging.getFileName().toString().replaceFirst("^\\.checkpoint-(\\d+)\\..*", "$1"));
    }

    private static String list(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(f -> f.getFileName().toString()).sorted().toList().toString();
        } catch (IOException e) {
            return "(" + dir + ": " + e + ")";
        }
    }

    /**
     * Unmounts the full disk once the trainer lets go of it. Still busy after 10 s means a file the
     * failed job left open on it: the test fails, after a lazy unmount that gives the tests after it
     * their disk back.
     */
    private static void unmount(Path dir) throws Exception {
        for (int i = 0; i < 20; i++) {
            if (run("umount", dir.toString()) == 0) {
                return;
            }
            Waits.sleep(Duration.ofMillis(500));
        }
        run("umount", "--lazy", dir.toString());
        throw new AssertionError(dir + " was still in use 10 s after the job failed: a file left open on the full disk");
    }

    /** A run killed while the full disk was mounted leaves the mount behind, and its folder could not be cleared. */
    private static void unmountLeftovers(Path dir) throws Exception {
        Path mounts = Path.of("/proc/self/mounts");
        if (!Files.isReadable(mounts)) {
            return;
        }
        for (String line : Files.readAllLines(mounts)) {
            String[] fields = line.split(" ");
            if (fields.length > 1 && fields[1].startsWith(dir + "/")) {
                run("umount", "--lazy", fields[1]);
            }
        }
    }

    private static int run(String... command) throws Exception {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS) ? p.exitValue() : -1;
        } catch (IOException e) {
            return -1; // no such command
        }
    }

    /**
     * Watches where an artifact will be published, as a reader would: every time it looks, the
     * artifact is either absent or whole (the files and sizes it ends with).
     */
    private static final class ArtifactWatch {
        private final Path dir;
        private final Thread thread;
        private final AtomicBoolean running = new AtomicBoolean(true);
        private volatile Map<String, Long> firstSeen;

        private ArtifactWatch(Path dir) {
            this.dir = dir;
            this.thread = new Thread(this::watch, "watch-" + dir.getFileName());
            thread.setDaemon(true);
        }

        static ArtifactWatch start(Path dir) {
            ArtifactWatch watch = new ArtifactWatch(dir);
            watch.thread.start();
            return watch;
        }

        private void watch() {
            while (running.get() && firstSeen == null) {
                if (Files.isDirectory(dir)) {
                    firstSeen = files(dir);
                }
                Waits.sleep(Duration.ofMillis(2));
            }
        }

        ArtifactWatch stop() throws InterruptedException {
            running.set(false);
            thread.join();
            return this;
        }

        boolean sawOnlyTheFinishedArtifact() {
            return firstSeen != null && firstSeen.equals(files(dir));
        }

        private static Map<String, Long> files(Path dir) {
            Map<String, Long> files = new TreeMap<>();
            try (Stream<Path> list = Files.list(dir)) {
                for (Path f : list.toList()) {
                    files.put(f.getFileName().toString(), Files.isRegularFile(f) ? Files.size(f) : -1);
                }
            } catch (IOException e) {
                files.put("(unreadable: " + e + ")", 0L);
            }
            return files;
        }

        @Override
        public String toString() {
            return dir + " first seen as " + firstSeen + ", now " + files(dir);
        }
    }
}
