package org.mmgpt.worker.consumer;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.mmgpt.protocol.jobs.JobEvent;
import org.mmgpt.protocol.jobs.JobRequest;
import org.mmgpt.protocol.jobs.JobState;
import org.mmgpt.protocol.jobs.JobStatus;
import org.mmgpt.protocol.jobs.JobType;
import org.mmgpt.protocol.params.JobParams;
import org.mmgpt.protocol.topics.Topics;
import org.mmgpt.testsupport.EmbeddedKafka;
import org.mmgpt.testsupport.KafkaJobs;
import org.mmgpt.worker.JobHandler;
import org.mmgpt.worker.JobResult;

/**
 * The worker plumbing against a real broker, with a handler whose behaviour each test scripts per
 * job id. One worker group runs through the whole class, as a trainer would.
 */
class JobWorkerTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String GROUP = "test-trainers-" + UUID.randomUUID();

    private static final Map<String, JobHandler> scripts = new ConcurrentHashMap<>();
    private static final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
    private static String bootstrap;
    private static KafkaJobs kafka;
    private static JobWorker worker;

    /** The handler under the worker: runs the script registered for the job, counting calls. */
    private static final JobHandler SCRIPTED = (request, progress, cancellation) -> {
        calls.computeIfAbsent(request.jobId(), id -> new AtomicInteger()).incrementAndGet();
        JobHandler script = scripts.get(request.jobId());
        if (script == null) {
            throw new IllegalStateException("no script for " + request.jobId());
        }
        return script.run(request, progress, cancellation);
    };

    @BeforeAll
    static void start() {
        bootstrap = EmbeddedKafka.bootstrapServers();
        worker = startWorker();
        kafka = new KafkaJobs(bootstrap);
        await().atMost(WAIT).until(worker::isConsuming);
    }

    @AfterAll
    static void stop() {
        worker.close();
        kafka.close();
    }

    private static JobWorker startWorker() {
        JobWorker started = new JobWorker(new WorkerSettings(Map.of("bootstrap.servers", bootstrap),
                Topics.STAGE_REQUESTS, GROUP, "worker-under-test", Optional.empty(), 1, Duration.ofMillis(200),
                Duration.ofSeconds(10), Map.of()), SCRIPTED);
        started.start();
        return started;
    }

    private static String newJobId() {
        return "job-" + UUID.randomUUID().toString().substring(0, 12);
    }

    private static JobRequest request(String jobId, Map<String, Object> params) {
        return new JobRequest(jobId, JobType.SFT, JobParams.of(params), 1, null, Instant.now());
    }

    private static List<JobState> states(String jobId) {
        return kafka.events(jobId).stream().map(JobEvent::state).toList();
    }

    private static JobStatus awaitState(String jobId, JobState state) {
        await().atMost(WAIT).until(() -> kafka.status(jobId).map(s -> s.state() == state).orElse(false));
        return kafka.status(jobId).orElseThrow();
    }

    private static long committed(RecordMetadata request) {
        return kafka.committed(GROUP, new TopicPartition(request.topic(), request.partition()));
    }

    @Test
    void runsAJobReportsProgressAndCommitsItsRequestOnlyWhenItEnds() throws Exception {
        String id = newJobId();
        CountDownLatch release = new CountDownLatch(1);
        scripts.put(id, (request, progress, cancellation) -> {
            for (int step = 1; step <= 3; step++) {
                progress.report(step, 10, Map.of("loss", 3.0 - step * 0.5, "learning_rate", 1e-4));
                Thread.sleep(150);
            }
            release.await(WAIT.toSeconds(), TimeUnit.SECONDS);
            return new JobResult(List.of("adapters/" + request.jobId()), Map.of("eval_loss", 1.25));
        });
        RecordMetadata sent = kafka.submit(request(id, Map.of("max_steps", 10L)));

        JobStatus running = awaitState(id, JobState.RUNNING);
        assertEquals(1, running.attempts());
        assertEquals("worker-under-test", running.workerId());
        await().atMost(WAIT).until(() -> kafka.status(id).map(s -> s.progress() != null
                && s.progress().step() == 3 && s.progress().etaSeconds() != null).orElse(false));
        JobStatus progressed = kafka.status(id).orElseThrow();
        assertEquals(30.0, progressed.progress().percent());
        assertEquals(1.5, progressed.metrics().get("loss"));
        // Progress keeps coming while the job is busy: the heartbeat of a live worker.
        int before = kafka.events(id).size();
        await().atMost(WAIT).until(() -> kafka.events(id).size() >= before + 2);
        assertTrue(committed(sent) <= sent.offset(), "the request is not committed while its job runs");

        release.countDown();
        JobStatus done = awaitState(id, JobState.SUCCEEDED);
        assertEquals(List.of("adapters/" + id), done.artifacts());
        assertEquals(1.25, done.metrics().get("eval_loss"));
        assertEquals(1.5, done.metrics().get("loss"));
        await().atMost(WAIT).until(() -> committed(sent) == sent.offset() + 1);
        List<JobEvent> events = kafka.events(id);
        for (int i = 1; i < events.size(); i++) {
            assertEquals(events.get(i - 1).seq() + 1, events.get(i).seq(), "seq counts up without gaps: " + events);
        }
    }

    @Test
    void skipsARedeliveredRequestForAJobThatEnded() {
        String id = newJobId();
        scripts.put(id, (request, progress, cancellation) -> JobResult.of("models/" + request.jobId()));
        JobRequest request = request(id, Map.of());
        kafka.submit(request);
        JobStatus done = awaitState(id, JobState.SUCCEEDED);

        RecordMetadata again = kafka.send(Topics.STAGE_REQUESTS, id, request);
        await().atMost(WAIT).until(() -> committed(again) == again.offset() + 1);
        assertEquals(1, calls.get(id).get(), "the handler ran once");
        assertEquals(done.seq(), kafka.status(id).orElseThrow().seq(), "nothing was published for the duplicate");
        assertEquals(List.of(JobState.QUEUED, JobState.RUNNING, JobState.SUCCEEDED), states(id));
    }

    @Test
    void aFailingJobFailsAloneAndTheNextJobRuns() {
        String failing = newJobId();
        String next = newJobId();
        scripts.put(failing, (request, progress, cancellation) -> {
            throw new IllegalStateException("data/finetune/a.jsonl line 3: no \"conversations\" field");
        });
        scripts.put(next, (request, progress, cancellation) -> JobResult.of());
        kafka.submit(request(failing, Map.of()));
        kafka.submit(request(next, Map.of()));

        JobStatus failed = awaitState(failing, JobState.FAILED);
        assertEquals("data/finetune/a.jsonl line 3: no \"conversations\" field", failed.error());
        awaitState(next, JobState.SUCCEEDED);
        assertTrue(worker.isAlive());
    }

    @Test
    void cancelReachesARunningJobAtAStepBoundary() {
        String id = newJobId();
        AtomicBoolean sawCancel = new AtomicBoolean();
        scripts.put(id, (request, progress, cancellation) -> {
            for (long step = 1; ; step++) {
                if (cancellation.isCancelled()) {
                    sawCancel.set(true);
                }
                cancellation.throwIfCancelled();
                progress.report(step, 1_000_000, Map.of());
                Thread.sleep(50);
            }
        });
        kafka.submit(request(id, Map.of()));
        awaitState(id, JobState.RUNNING);

        Instant cancelledAt = Instant.now();
        kafka.cancel(id, JobType.SFT);
        awaitState(id, JobState.CANCELLED);
        assertTrue(Duration.between(cancelledAt, Instant.now()).toSeconds() < 5, "cancelled within 5 s");
        assertTrue(sawCancel.get());

        String after = newJobId();
        scripts.put(after, (request, progress, cancellation) -> JobResult.of());
        kafka.submit(request(after, Map.of()));
        awaitState(after, JobState.SUCCEEDED);
    }

    @Test
    void aQueuedJobIsCancelledWithoutRunning() throws Exception {
        String busy = newJobId();
        String queued = newJobId();
        CountDownLatch release = new CountDownLatch(1);
        scripts.put(busy, (request, progress, cancellation) -> {
            release.await(WAIT.toSeconds(), TimeUnit.SECONDS);
            return JobResult.of();
        });
        scripts.put(queued, (request, progress, cancellation) -> JobResult.of());
        kafka.submit(request(busy, Map.of()));
        awaitState(busy, JobState.RUNNING);
        RecordMetadata waiting = kafka.submit(request(queued, Map.of()));

        kafka.cancel(queued, JobType.SFT);
        assertEquals(0, awaitState(queued, JobState.CANCELLED).attempts(), "it never ran");
        assertEquals(JobState.RUNNING, kafka.status(busy).orElseThrow().state(), "the worker was full all along");

        release.countDown();
        awaitState(busy, JobState.SUCCEEDED);
        await().atMost(WAIT).until(() -> committed(waiting) == waiting.offset() + 1);
        assertEquals(null, calls.get(queued), "the cancelled job never ran");
    }

    @Test
    void aJobWhoseWorkerWasLostRunsAgainAsTheNextAttempt() {
        String id = newJobId();
        AtomicInteger attemptSeen = new AtomicInteger();
        scripts.put(id, (request, progress, cancellation) -> {
            attemptSeen.set(request.attempt());
            return JobResult.of();
        });
        JobRequest request = request(id, Map.of());
        // The last word of a worker that died while running attempt 1.
        JobStatus queued = JobStatus.queued(request, List.of());
        JobEvent lastWord = queued.next(JobState.RUNNING, Instant.now(), "dead-worker").withAttempt(1);
        kafka.publish(queued.queuedEvent(), queued);
        kafka.publish(lastWord, queued.apply(lastWord));
        kafka.send(Topics.STAGE_REQUESTS, id, request);

        JobStatus done = awaitState(id, JobState.SUCCEEDED);
        assertEquals(2, done.attempts());
        assertEquals(2, attemptSeen.get());
        assertEquals(List.of(JobState.QUEUED, JobState.RUNNING, JobState.RETRYING, JobState.RUNNING, JobState.SUCCEEDED),
                states(id));
        assertTrue(kafka.events(id).get(2).error().contains("attempt 1 ended without finishing"));
    }

    /**
     * A worker killed between publishing an event and its snapshot leaves the event log one seq ahead
     * of the snapshot: the next writer must not reuse that seq, or readers drop its event as a duplicate.
     */
    @Test
    void aWorkerThatDiedBetweenAnEventAndItsSnapshotLeavesNoSeqToReuse() {
        String id = newJobId();
        scripts.put(id, (request, progress, cancellation) -> JobResult.of());
        JobRequest request = request(id, Map.of());
        JobStatus queued = JobStatus.queued(request, List.of());
        JobEvent running = queued.next(JobState.RUNNING, Instant.now(), "dead-worker").withAttempt(1);
        JobStatus snapshot = queued.apply(running);
        JobEvent lastWord = snapshot.next(JobState.RUNNING, Instant.now(), "dead-worker"); // its snapshot never sent
        kafka.publish(queued.queuedEvent(), queued);
        kafka.publish(running, snapshot);
        kafka.send(Topics.JOB_EVENTS, id, lastWord);
        kafka.send(Topics.STAGE_REQUESTS, id, request);

        awaitState(id, JobState.SUCCEEDED);
        List<JobEvent> events = kafka.events(id);
        assertEquals(List.of(JobState.QUEUED, JobState.RUNNING, JobState.RUNNING, JobState.RETRYING, JobState.RUNNING,
                JobState.SUCCEEDED), states(id));
        for (int i = 1; i < events.size(); i++) {
            assertTrue(events.get(i).seq() > events.get(i - 1).seq(), "every seq used once, in order: " + events);
        }
    }

    @Test
    void aJobThatKeepsLosingItsWorkerFailsAfterMaxRetries() {
        String id = newJobId();
        JobRequest request = request(id, Map.of("max_retries", 1L));
        JobStatus status = JobStatus.queued(request, List.of());
        kafka.publish(status.queuedEvent(), status);
        for (int attempt = 1; attempt <= 2; attempt++) {
            JobEvent running = status.next(JobState.RUNNING, Instant.now(), "dead-worker").withAttempt(attempt);
            status = status.apply(running);
            kafka.publish(running, status);
        }
        kafka.send(Topics.STAGE_REQUESTS, id, request);

        JobStatus failed = awaitState(id, JobState.FAILED);
        assertTrue(failed.error().contains("gave up after 2 attempts"), failed.error());
        assertEquals(null, calls.get(id));
    }

    @Test
    void aJobPastItsDeadlineFails() {
        String id = newJobId();
        scripts.put(id, (request, progress, cancellation) -> {
            while (true) {
                cancellation.throwIfCancelled();
                Thread.sleep(50);
            }
        });
        kafka.submit(request(id, Map.of("deadline_seconds", 1L)));
        JobStatus failed = awaitState(id, JobState.FAILED);
        assertTrue(failed.error().startsWith("DeadlineExceeded"), failed.error());
    }

    @Test
    void closingHandsTheRunningJobOverToTheNextWorker() {
        String id = newJobId();
        AtomicInteger attempts = new AtomicInteger();
        scripts.put(id, (request, progress, cancellation) -> {
            if (attempts.incrementAndGet() == 1) {
                while (true) {
                    cancellation.throwIfCancelled();
                    Thread.sleep(50);
                }
            }
            return JobResult.of("adapters/" + request.jobId());
        });
        RecordMetadata sent = kafka.submit(request(id, Map.of()));
        awaitState(id, JobState.RUNNING);

        worker.close();
        assertEquals(JobState.RUNNING, kafka.status(id).orElseThrow().state(), "a hand-over publishes no end");
        assertTrue(committed(sent) <= sent.offset(), "nor commits the request");

        worker = startWorker();
        JobStatus done = awaitState(id, JobState.SUCCEEDED);
        assertEquals(2, done.attempts());
        assertEquals(2, attempts.get());
        await().atMost(WAIT).until(() -> committed(sent) == sent.offset() + 1);
    }
}
