package org.mmgpt.protocol.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.mmgpt.protocol.params.JobParams;

class JobStatusTest {

    private final Instant t0 = Instant.parse("2026-11-27T10:00:00Z");
    private final JobStatus queued = JobStatus.queued(
            new JobRequest("job-a", JobType.SFT, JobParams.of(Map.of()), 1, null, t0), List.of());

    @Test
    void foldsEventsIntoTheSnapshot() {
        JobStatus running = queued.apply(queued.next(JobState.RUNNING, t0.plusSeconds(1), "w1").withAttempt(1));
        JobStatus progressed = running.apply(running.next(JobState.RUNNING, t0.plusSeconds(5), "w1")
                .withProgress(Progress.of(10, 100, 36L)).withMetrics(Map.of("loss", 2.5, "eval_loss", 2.7)));
        JobStatus later = progressed.apply(progressed.next(JobState.RUNNING, t0.plusSeconds(9), "w1")
                .withProgress(Progress.of(20, 100, 32L)).withMetrics(Map.of("loss", 2.1)));
        JobStatus done = later.apply(later.next(JobState.SUCCEEDED, t0.plusSeconds(20), "w1")
                .withArtifacts(List.of("adapters/job-a")));

        assertEquals(JobState.SUCCEEDED, done.state());
        assertEquals(5, done.seq());
        assertEquals(1, done.attempts());
        assertEquals(Map.of("loss", 2.1, "eval_loss", 2.7), done.metrics());
        assertEquals(20.0, done.progress().percent());
        assertEquals(List.of("adapters/job-a"), done.artifacts());
        assertEquals(t0.plusSeconds(1), done.startedAt());
        assertEquals(t0.plusSeconds(20), done.endedAt());
        assertEquals("w1", done.workerId());
    }

    @Test
    void ignoresDuplicatesAndMovesTheStateMachineForbids() {
        JobEvent start = queued.next(JobState.RUNNING, t0, "w1");
        JobStatus running = queued.apply(start);
        assertSame(running, running.apply(start), "a duplicate changes nothing");
        JobStatus cancelled = running.apply(running.next(JobState.CANCELLED, t0, "w1"));
        assertSame(cancelled, cancelled.apply(cancelled.next(JobState.RUNNING, t0, "w1")), "nothing follows a terminal state");
        assertSame(queued, queued.apply(queued.next(JobState.SUCCEEDED, t0, "w1")), "QUEUED cannot jump to SUCCEEDED");
    }

    @Test
    void retryingKeepsTheReasonUntilTheJobRunsAgain() {
        JobStatus running = queued.apply(queued.next(JobState.RUNNING, t0, "w1").withAttempt(1));
        JobStatus retrying = running.apply(running.next(JobState.RETRYING, t0, "w2").withAttempt(2).withError("worker lost"));
        assertEquals("worker lost", retrying.error());
        assertEquals(2, retrying.attempts());
        JobStatus again = retrying.apply(retrying.next(JobState.RUNNING, t0, "w2"));
        assertNull(again.error());
        assertEquals(JobState.RUNNING, again.state());
    }

    @Test
    void stateMachine() {
        assertTrue(JobState.QUEUED.canMoveTo(JobState.CANCELLED));
        assertTrue(JobState.RUNNING.canMoveTo(JobState.RUNNING));
        assertFalse(JobState.RETRYING.canMoveTo(JobState.SUCCEEDED));
        for (JobState s : JobState.values()) {
            assertEquals(s.isTerminal(), s.successors().isEmpty(), s.name());
        }
    }
}
