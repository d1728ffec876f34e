package org.mmgpt.worker.consumer;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import org.apache.kafka.common.TopicPartition;
import org.mmgpt.protocol.jobs.JobEvent;
import org.mmgpt.protocol.jobs.JobRequest;
import org.mmgpt.protocol.jobs.JobState;
import org.mmgpt.protocol.jobs.JobStatus;
import org.mmgpt.protocol.jobs.Progress;
import org.mmgpt.protocol.params.Param;
import org.mmgpt.worker.CancellationToken;
import org.mmgpt.worker.ProgressSink;
import org.mmgpt.worker.consumer.StatusPublisher.PublishException;

/**
 * One job a worker is running: where its request sits (to commit it when the job ends), its
 * current snapshot (this worker is its only writer while it runs), its latest progress, and why it
 * was asked to stop.
 */
final class JobRun implements ProgressSink {

    /** Why a job was asked to stop; the first reason given wins. */
    enum StopReason {
        CANCELLED,
        DEADLINE,
        /** The worker gives the job's partition up; another attempt resumes it. */
        HANDOVER
    }

    /** How the run ended: with a terminal state published, or handed over without one. */
    enum Outcome {
        ENDED,
        HANDED_OVER
    }

    private final JobRequest request;
    private final TopicPartition partition;
    private final long offset;
    private final StatusPublisher publisher;
    private final String workerId;
    private final Clock clock;
    private final Token token = new Token();

    /**
     * One publish at a time; it guards the snapshot and the seqs. A publish can wait for the broker
     * for half a minute, so {@link #report} (this object's monitor) never takes it.
     */
    private final Object publishing = new Object();
    private volatile JobStatus status;
    /** The highest seq this run has sent, whether or not the broker confirmed it. */
    private long lastSeqSent;
    private long step;
    private long totalSteps;
    private final Map<String, Double> metrics = new LinkedHashMap<>();
    private long firstStep = -1;
    private Instant firstStepAt;
    private volatile Outcome outcome;
    private volatile Future<?> future;

    /** {@code lastSeq}: the highest seq the job's writers are known to have sent, the next event's goes above it. */
    JobRun(JobRequest request, TopicPartition partition, long offset, JobStatus status, long lastSeq,
            StatusPublisher publisher, String workerId, Clock clock) {
        this.request = request;
        this.partition = partition;
        this.offset = offset;
        this.status = status;
        this.lastSeqSent = lastSeq;
        this.publisher = publisher;
        this.workerId = workerId;
        this.clock = clock;
    }

    JobRequest request() {
        return request;
    }

    String jobId() {
        return request.jobId();
    }

    TopicPartition partition() {
        return partition;
    }

    long offset() {
        return offset;
    }

    Token token() {
        return token;
    }

    Outcome outcome() {
        return outcome;
    }

    void ended(Outcome how) {
        this.outcome = how;
    }

    Future<?> future() {
        return future;
    }

    void started(Future<?> running) {
        this.future = running;
    }

    /** Called by the handler at every step: never waits for a publish (the broker may be away). */
    @Override
    public synchronized void report(long stepDone, long total, Map<String, Double> values) {
        if (firstStep < 0) {
            firstStep = stepDone;
            firstStepAt = clock.instant();
        }
        step = stepDone;
        totalSteps = total;
        if (values != null) {
            metrics.putAll(values);
        }
    }

    /** The latest progress, or null before the handler reported any. */
    private synchronized Progress reportedProgress() {
        return firstStep >= 0 ? progress() : null;
    }

    private synchronized Map<String, Double> reportedMetrics(Map<String, Double> more) {
        metrics.putAll(more);
        return Map.copyOf(metrics);
    }

    /**
     * Publishes a state change of this job (as its only writer) with the latest progress and metrics.
     * RUNNING and RETRYING start this run's attempt; any other state keeps the attempts counted so far
     * (a job cancelled before it ran has made none).
     */
    void publish(JobState state, String error) throws PublishException {
        synchronized (publishing) {
            JobEvent event = status.next(state, clock.instant(), workerId).withError(error);
            if (state == JobState.RUNNING || state == JobState.RETRYING) {
                event = event.withAttempt(request.attempt());
            }
            Progress progress = reportedProgress();
            if (progress != null) {
                event = event.withProgress(progress).withMetrics(reportedMetrics(Map.of()));
            }
            send(event);
        }
    }

    /** The last event of a successful job. */
    void publishSucceeded(List<String> artifacts, Map<String, Double> finalMetrics) throws PublishException {
        synchronized (publishing) {
            Progress progress = reportedProgress();
            JobEvent event = status.next(JobState.SUCCEEDED, clock.instant(), workerId)
                    .withMetrics(reportedMetrics(finalMetrics))
                    .withArtifacts(artifacts);
            send(event.withProgress(progress != null ? progress : status.progress()));
        }
    }

    /** A progress report while RUNNING; also tells readers the worker is alive. Nothing once the job ended. */
    void publishProgress() throws PublishException {
        synchronized (publishing) {
            if (status.state() == JobState.RUNNING) {
                publish(JobState.RUNNING, null);
            }
        }
    }

    /**
     * Folds the event into the snapshot and publishes both. A seq is never sent twice: a publish that
     * failed may still have reached the broker, and readers would drop a different event under its seq.
     */
    private void send(JobEvent event) throws PublishException {
        if (event.seq() <= lastSeqSent) {
            event = event.withSeq(lastSeqSent + 1);
        }
        lastSeqSent = event.seq();
        JobStatus next = status.apply(event);
        publisher.publish(event, next);
        status = next;
    }

    private Progress progress() {
        Long eta = null;
        if (step > firstStep && totalSteps >= step) {
            double secondsPerStep = Duration.between(firstStepAt, clock.instant()).toMillis() / 1000.0 / (step - firstStep);
            eta = Math.round(secondsPerStep * (totalSteps - step));
        }
        return Progress.of(step, totalSteps, eta);
    }

    /** Whether the job has run past its deadline_seconds, counted from its first start. */
    boolean pastDeadline() {
        var deadline = request.params().integer(Param.DEADLINE_SECONDS);
        Instant started = status.startedAt();
        return deadline.isPresent() && started != null
                && clock.instant().isAfter(started.plusSeconds(deadline.getAsLong()));
    }

    /** The token the handler checks; the worker sets it. */
    static final class Token implements CancellationToken {
        private volatile StopReason reason;

        @Override
        public boolean isCancelled() {
            return reason != null;
        }

        synchronized void stop(StopReason why) {
            if (reason == null) {
                reason = why;
            }
        }

        StopReason reason() {
            return reason;
        }
    }
}
