package org.mmgpt.worker.consumer;

import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.utils.Utils;
import org.mmgpt.protocol.jobs.JobCommand;
import org.mmgpt.protocol.jobs.JobRequest;
import org.mmgpt.protocol.jobs.JobState;
import org.mmgpt.protocol.jobs.JobStatus;
import org.mmgpt.protocol.jobs.JobType;
import org.mmgpt.protocol.json.Json;
import org.mmgpt.protocol.params.Param;
import org.mmgpt.protocol.storage.ArtifactStore;
import org.mmgpt.protocol.topics.TopicProvisioner;
import org.mmgpt.protocol.topics.Topics;
import org.mmgpt.worker.JobHandler;
import org.mmgpt.worker.JobResult;
import org.mmgpt.worker.consumer.JobRun.Outcome;
import org.mmgpt.worker.consumer.JobRun.StopReason;
import org.mmgpt.worker.consumer.StatusPublisher.PublishException;

/**
 * Runs the jobs of one request topic with a {@link JobHandler}, in a consumer group with the other
 * workers of its kind.
 *
 * <p>Delivery rules (see docs/architecture.md):
 * <ul>
 *   <li>At most one job per partition and {@code maxConcurrentJobs} in all. A partition with a
 *       running job is paused, all are paused when the worker is full; the consumer keeps polling
 *       every 100 ms, so a job of hours never exceeds max.poll.interval.ms and is not redelivered
 *       while this worker lives.</li>
 *   <li>A request's offset is committed only when its job has ended (terminal state published).</li>
 *   <li>Before deciding from a job's status the worker catches up with the status topic; a request
 *       whose job already ended is skipped (and committed), so redeliveries and duplicates are
 *       harmless.</li>
 *   <li>A request whose job was RUNNING is a lost attempt: RETRYING with the next attempt, or FAILED
 *       once max_retries is used up.</li>
 *   <li>Cancel orders arrive on the control topic, which every worker reads whole: the running job
 *       stops at its next step boundary; a queued job in one of this worker's partitions ends
 *       CANCELLED at once.</li>
 *   <li>When the worker gives partitions up (shutdown, rebalance) it asks their jobs to stop and
 *       commits nothing for them: the next owner resumes them as a new attempt.</li>
 * </ul>
 */
public final class JobWorker implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(JobWorker.class.getName());
    private static final Duration POLL = Duration.ofMillis(100);
    private static final Duration CATCH_UP_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration PROVISIONING_TIMEOUT = Duration.ofSeconds(60);

    private enum Admission {
        /** Nothing to run (job ended, cancelled, unreadable): commit it. */
        DONE,
        /** Started on a job thread: commit when it ends. */
        STARTED,
        /** Not now (worker full, Kafka unreachable): read it again later. */
        LATER
    }

    private final WorkerSettings settings;
    private final JobHandler handler;
    private final Clock clock;
    private final StatusPublisher publisher;
    private final JobStatusView view = new JobStatusView();
    private final TopicFollower follower;
    private final ExecutorService jobThreads;
    private final ScheduledExecutorService ticker;
    private final Thread pollThread;
    private final Map<TopicPartition, JobRun> running = new ConcurrentHashMap<>();
    private final BlockingQueue<JobRun> finished = new LinkedBlockingQueue<>();
    private volatile boolean stopping;
    private volatile boolean consuming;
    private KafkaConsumer<String, byte[]> consumer;

    public JobWorker(WorkerSettings settings, JobHandler handler) {
        this(settings, handler, Clock.systemUTC());
    }

    JobWorker(WorkerSettings settings, JobHandler handler, Clock clock) {
        this.settings = settings;
        this.handler = handler;
        this.clock = clock;
        this.publisher = new StatusPublisher(settings.kafka());
        this.follower = new TopicFollower(settings.kafka(), List.of(Topics.JOB_STATUS, Topics.JOB_EVENTS, Topics.JOB_CONTROL),
                view::accept, "job-status-follower");
        this.jobThreads = Executors.newFixedThreadPool(settings.maxConcurrentJobs(), named("job"));
        this.ticker = Executors.newSingleThreadScheduledExecutor(named("job-progress"));
        this.pollThread = new Thread(this::pollLoop, "job-requests-" + settings.requestsTopic());
    }

    /** Creates missing topics, then starts following status and consuming requests. */
    public void start() {
        TopicProvisioner.ensure(settings.kafka(), settings.topicPartitions(), PROVISIONING_TIMEOUT);
        follower.start();
        long every = settings.progressInterval().toMillis();
        ticker.scheduleAtFixedRate(this::tick, every, every, TimeUnit.MILLISECONDS);
        pollThread.start();
    }

    /** The poll loop runs; false once it died or the worker was closed. */
    public boolean isAlive() {
        return pollThread.isAlive() && follower.isRunning();
    }

    /** Subscribed and taking requests. */
    public boolean isConsuming() {
        return consuming && isAlive();
    }

    public Set<String> runningJobs() {
        Set<String> ids = new HashSet<>();
        running.values().forEach(r -> ids.add(r.jobId()));
        return ids;
    }

    private void pollLoop() {
        try {
            while (!stopping && !catchUp()) {
                LOG.log(Level.WARNING, "cannot read the job status topic yet; retrying");
            }
            Map<String, Object> config = consumerConfig();
            consumer = new KafkaConsumer<>(config);
            consumer.subscribe(List.of(settings.requestsTopic()), new Handover());
            consuming = true;
            LOG.log(Level.INFO, "worker {0} takes requests from {1} in group {2} (session.timeout.ms {3},"
                    + " max.poll.interval.ms {4}: a job may run longer than both)", settings.workerId(),
                    settings.requestsTopic(), settings.groupId(), effective(config, ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG),
                    effective(config, ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG));
            while (!stopping) {
                try {
                    completeFinished(true);
                    actOnCommands();
                    ConsumerRecords<String, byte[]> records = consumer.poll(POLL);
                    for (TopicPartition partition : records.partitions()) {
                        admitFrom(partition, records.records(partition));
                    }
                    applyPauses();
                } catch (WakeupException | InterruptException e) {
                    throw e;
                } catch (KafkaException e) {
                    // The broker away (a restart) or a rebalance under way: the client reconnects by itself.
                    LOG.log(Level.WARNING, "the request consumer of " + settings.requestsTopic() + " hit " + e
                            + "; going on");
                    sleep(Duration.ofSeconds(1));
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "the request consumer of " + settings.requestsTopic() + " stopped", e);
        } finally {
            consuming = false;
            if (consumer != null) {
                handOver(Set.copyOf(running.keySet()), true);
                consumer.close(CloseOptions.timeout(Duration.ofSeconds(10)));
            }
        }
    }

    private void admitFrom(TopicPartition partition, List<ConsumerRecord<String, byte[]>> records) {
        for (ConsumerRecord<String, byte[]> record : records) {
            Admission admission;
            try {
                admission = admit(partition, record);
            } catch (RuntimeException e) {
                consumer.seek(partition, record.offset()); // read it again rather than skip it
                throw e;
            }
            if (admission == Admission.DONE) {
                commit(partition, record.offset() + 1);
            } else {
                // Started, or not now: the records after it are fetched again when the partition resumes.
                consumer.seek(partition, admission == Admission.STARTED ? record.offset() + 1 : record.offset());
                return;
            }
        }
    }

    private Admission admit(TopicPartition partition, ConsumerRecord<String, byte[]> record) {
        JobRequest request;
        try {
            request = Json.read(record.value(), JobRequest.class);
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "skipping unreadable request at " + partition + "@" + record.offset() + ": " + e.getMessage());
            return Admission.DONE;
        }
        if (!ArtifactStore.isValidJobId(request.jobId()) || request.type() == null || request.params() == null) {
            LOG.log(Level.ERROR, "skipping incomplete request at " + partition + "@" + record.offset());
            return Admission.DONE;
        }
        if (running.size() >= settings.maxConcurrentJobs() || !catchUp()) {
            return Admission.LATER;
        }
        JobStatus current = view.get(request.jobId()).orElseGet(() -> JobStatus.queued(request, List.of()));
        if (current.state().isTerminal()) {
            LOG.log(Level.INFO, "skipping request for job {0}: it already ended {1}", request.jobId(), current.state());
            return Admission.DONE;
        }
        // A RETRYING job announced an attempt that never ran; a RUNNING one lost its attempt.
        boolean lost = current.state() == JobState.RUNNING;
        int attempt = current.state() == JobState.RETRYING ? current.attempts() : current.attempts() + 1;
        JobRun run = new JobRun(request.withAttempt(attempt), partition, record.offset(), current,
                view.lastSeq(request.jobId()), publisher, settings.workerId(), clock);
        try {
            if (view.cancelRequested(request.jobId())) {
                run.publish(JobState.CANCELLED, null);
                return Admission.DONE;
            }
            if (attempt - 1 > request.params().maxRetries()) {
                run.publish(JobState.FAILED, "gave up after " + current.attempts() + " attempts that ended without"
                        + " finishing (max_retries " + request.params().maxRetries() + ")");
                return Admission.DONE;
            }
            if (run.pastDeadline()) {
                run.publish(JobState.FAILED, deadlineExceeded(request));
                return Admission.DONE;
            }
            if (lost) {
                run.publish(JobState.RETRYING, "attempt " + current.attempts() + " ended without finishing"
                        + " (its worker stopped); resuming as attempt " + attempt);
            }
            run.publish(JobState.RUNNING, null);
        } catch (PublishException e) {
            LOG.log(Level.WARNING, e.getMessage() + "; will try again", e);
            return Admission.LATER;
        }
        running.put(partition, run);
        consumer.pause(List.of(partition));
        run.started(jobThreads.submit(() -> execute(run)));
        LOG.log(Level.INFO, "job {0} ({1}) attempt {2} started", run.jobId(), request.type().wireName(), attempt);
        return Admission.STARTED;
    }

    private void execute(JobRun run) {
        Outcome outcome = Outcome.ENDED;
        try {
            JobResult result = handler.run(run.request(), run, run.token());
            publishUntilTaken(() -> run.publishSucceeded(result.artifacts(), result.metrics()), run);
            LOG.log(Level.INFO, "job {0} succeeded", run.jobId());
        } catch (Throwable failure) {
            StopReason reason = run.token().reason();
            if (reason == StopReason.HANDOVER) {
                outcome = Outcome.HANDED_OVER;
                LOG.log(Level.INFO, "job {0} stopped for hand-over", run.jobId());
            } else if (reason == StopReason.CANCELLED) {
                publishUntilTaken(() -> run.publish(JobState.CANCELLED, null), run);
                LOG.log(Level.INFO, "job {0} cancelled", run.jobId());
            } else if (reason == StopReason.DEADLINE) {
                publishUntilTaken(() -> run.publish(JobState.FAILED, deadlineExceeded(run.request())), run);
                LOG.log(Level.INFO, "job {0} ran past its deadline", run.jobId());
            } else {
                LOG.log(Level.WARNING, "job " + run.jobId() + " failed", failure);
                publishUntilTaken(() -> run.publish(JobState.FAILED, describe(failure)), run);
            }
        }
        if (run.outcome() == null) {
            run.ended(outcome);
        }
        finished.add(run);
    }

    @FunctionalInterface
    private interface Publish {
        void run() throws PublishException;
    }

    /**
     * A job's last state must reach Kafka before its request is committed. Keep trying while the
     * worker lives; if it closes first, the job counts as handed over (the next owner sees it RUNNING
     * and runs it again as a new attempt).
     */
    private void publishUntilTaken(Publish publish, JobRun run) {
        while (true) {
            try {
                publish.run();
                return;
            } catch (PublishException e) {
                if (stopping) {
                    run.ended(Outcome.HANDED_OVER);
                    return;
                }
                LOG.log(Level.WARNING, e.getMessage() + "; retrying", e);
                sleep(Duration.ofSeconds(1));
            }
        }
    }

    /** Forgets the runs that ended and commits their requests (when {@code commit} and still ours). */
    private void completeFinished(boolean commit) {
        JobRun run;
        while ((run = finished.poll()) != null) {
            running.remove(run.partition(), run);
            if (commit && run.outcome() == Outcome.ENDED && consumer.assignment().contains(run.partition())) {
                commit(run.partition(), run.offset() + 1);
            }
        }
    }

    /**
     * Commits a request whose job has ended. A commit that fails (the broker away, the partition
     * reassigned) costs nothing: the request is read again by this partition's next owner, which
     * finds its job ended and skips it.
     */
    private void commit(TopicPartition partition, long nextOffset) {
        try {
            consumer.commitSync(Map.of(partition, new OffsetAndMetadata(nextOffset)));
        } catch (WakeupException | InterruptException e) {
            throw e;
        } catch (KafkaException e) {
            LOG.log(Level.WARNING, "cannot commit " + partition + "@" + nextOffset + " (" + e
                    + "); its next owner will skip the ended job's request");
        }
    }

    /** Paused: partitions with a running job, or all of them while the worker is full. */
    private void applyPauses() {
        Set<TopicPartition> assigned = consumer.assignment();
        Set<TopicPartition> paused = new HashSet<>(assigned);
        if (running.size() < settings.maxConcurrentJobs()) {
            paused.retainAll(running.keySet());
        }
        Set<TopicPartition> resumed = new HashSet<>(assigned);
        resumed.removeAll(paused);
        consumer.pause(paused);
        consumer.resume(resumed);
    }

    private void actOnCommands() {
        JobCommand command;
        while ((command = view.nextCommand()) != null) {
            if (command.action() != JobCommand.Action.CANCEL) {
                continue;
            }
            String jobId = command.jobId();
            Optional<JobRun> here = running.values().stream().filter(r -> r.jobId().equals(jobId)).findFirst();
            if (here.isPresent()) {
                here.get().token().stop(StopReason.CANCELLED);
                LOG.log(Level.INFO, "cancelling job {0} at its next step boundary", jobId);
            } else if (queuedHere(command)) {
                cancelQueued(command);
            }
        }
    }

    /** Whether the job's request lies in one of this worker's partitions (then no other worker may touch it). */
    private boolean queuedHere(JobCommand command) {
        JobType type = command.jobType();
        if (type == null || type == JobType.PIPELINE || !Topics.requestTopicFor(type).equals(settings.requestsTopic())) {
            return false;
        }
        int partitions = consumer.partitionsFor(settings.requestsTopic()).size();
        int partition = Utils.toPositive(Utils.murmur2(command.jobId().getBytes(StandardCharsets.UTF_8))) % partitions;
        return consumer.assignment().contains(new TopicPartition(settings.requestsTopic(), partition));
    }

    private void cancelQueued(JobCommand command) {
        if (!catchUp()) {
            return;
        }
        view.get(command.jobId()).filter(s -> !s.state().isTerminal()).ifPresent(status -> {
            JobRun run = new JobRun(status.request(), null, -1, status, view.lastSeq(command.jobId()), publisher,
                    settings.workerId(), clock);
            try {
                run.publish(JobState.CANCELLED, null);
                LOG.log(Level.INFO, "job {0} cancelled before it ran", command.jobId());
            } catch (PublishException e) {
                LOG.log(Level.WARNING, "cannot publish the cancellation of job " + command.jobId()
                        + "; it ends CANCELLED when its request is reached", e);
            }
        });
    }

    /**
     * Every progress interval: stop the jobs past their deadline, then publish each running job's
     * progress (a publish may wait while the broker is away; the jobs train on meanwhile).
     */
    private void tick() {
        for (JobRun run : running.values()) {
            if (run.pastDeadline()) {
                run.token().stop(StopReason.DEADLINE);
            }
        }
        for (JobRun run : running.values()) {
            try {
                run.publishProgress();
            } catch (PublishException | RuntimeException e) {
                LOG.log(Level.WARNING, "progress of job " + run.jobId() + " not published: " + e.getMessage());
            }
        }
    }

    /**
     * Asks the jobs of these partitions to stop at a step boundary and waits for them (up to the
     * hand-over timeout), so that the partition's next owner never runs a job while this worker still
     * does. Jobs that ended meanwhile are committed if {@code commit} (the partitions are still ours).
     */
    private void handOver(Collection<TopicPartition> partitions, boolean commit) {
        List<JobRun> runs = partitions.stream().map(running::get).filter(r -> r != null).toList();
        runs.forEach(r -> r.token().stop(StopReason.HANDOVER));
        long deadline = System.nanoTime() + settings.handoverTimeout().toNanos();
        for (JobRun run : runs) {
            try {
                run.future().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                LOG.log(Level.ERROR, "job {0} did not stop within {1} s of being handed over; it may run twice",
                        run.jobId(), settings.handoverTimeout().toSeconds());
            } catch (ExecutionException | CancellationException e) {
                // its outcome is recorded by execute()
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        completeFinished(commit);
    }

    /** Waits until the view holds everything the status, event and control topics held a moment ago. */
    private boolean catchUp() {
        try {
            follower.caughtUp().get(CATCH_UP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException | ExecutionException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private Map<String, Object> consumerConfig() {
        Map<String, Object> config = new HashMap<>(settings.kafka());
        config.put(ConsumerConfig.GROUP_ID_CONFIG, settings.groupId());
        settings.groupInstanceId().ifPresent(id -> config.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, id));
        config.put(ConsumerConfig.CLIENT_ID_CONFIG, settings.workerId() + "-requests");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        config.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
        config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Math.max(1, settings.maxConcurrentJobs()));
        config.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName());
        config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        return config;
    }

    /** A consumer setting as the client uses it: the configured value, else Kafka's default. */
    private static String effective(Map<String, Object> config, String key) {
        return String.valueOf(config.getOrDefault(key, ConsumerConfig.configDef().defaultValues().get(key)));
    }

    /** Rebalance: partitions taken away are handed over; lost ones cannot be committed any more. */
    private final class Handover implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            handOver(partitions, true);
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            handOver(partitions, false);
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            // committed offsets say where to start; pauses are applied after every poll
        }
    }

    private static String deadlineExceeded(JobRequest request) {
        return "DeadlineExceeded: the job ran longer than deadline_seconds="
                + request.params().integer(Param.DEADLINE_SECONDS).orElse(0);
    }

    private static String describe(Throwable failure) {
        String message = failure.getMessage();
        return message == null || message.isBlank() ? failure.getClass().getName() : message;
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static ThreadFactory named(String prefix) {
        AtomicInteger count = new AtomicInteger();
        return task -> {
            Thread thread = new Thread(task, prefix + "-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }

    /** Stops taking requests, hands running jobs over (they stop at a step boundary), closes the clients. */
    @Override
    public void close() {
        stopping = true;
        try {
            pollThread.join(settings.handoverTimeout().plusSeconds(15).toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        ticker.shutdownNow();
        jobThreads.shutdownNow();
        follower.close();
        publisher.close();
    }
}
