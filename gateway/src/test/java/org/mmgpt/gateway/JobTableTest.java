package org.mmgpt.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.mmgpt.gateway.jobs.JobTable;
import org.mmgpt.protocol.jobs.JobEvent;
import org.mmgpt.protocol.jobs.JobRequest;
import org.mmgpt.protocol.jobs.JobState;
import org.mmgpt.protocol.jobs.JobStatus;
import org.mmgpt.protocol.jobs.JobType;
import org.mmgpt.protocol.params.JobParams;

/**
 * The job table's event streams when the status and event topics arrive out of step, as they do
 * while the gateway's consumers catch up after a broker restart.
 */
class JobTableTest {

    private static final Instant T0 = Instant.parse("2026-11-28T00:00:00Z");

    /** What a stream got, and whether it completed. */
    private record Followed(List<Long> seqs, AtomicBoolean completed) {
        static Followed of(JobTable table, String id, long afterSeq) {
            Followed f = new Followed(new CopyOnWriteArrayList<>(), new AtomicBoolean());
            table.follow(id, afterSeq).subscribe().with(e -> f.seqs.add(e.seq()), failure -> {
                throw new AssertionError(failure);
            }, () -> f.completed.set(true));
            return f;
        }
    }

    private static JobStatus queued(String id) {
        return JobStatus.queued(new JobRequest(id, JobType.SFT, JobParams.of(Map.of()), 1, null, T0), List.of());
    }

    @Test
    void aTerminalSnapshotThatOvertookItsEventDoesNotEndTheStreamBeforeTheEvent() {
        JobTable table = new JobTable();
        JobStatus status = queued("job-a");
        JobEvent queued = status.queuedEvent();
        JobEvent running = status.next(JobState.RUNNING, T0.plusSeconds(1), "trainer-1").withAttempt(1);
        status = status.apply(running);
        JobEvent succeeded = status.next(JobState.SUCCEEDED, T0.plusSeconds(2), "trainer-1");
        status = status.apply(succeeded);
        table.offer(queued);
        table.offer(running);
        table.offer(status); // the SUCCEEDED snapshot, its event not read yet

        Followed early = Followed.of(table, "job-a", 0);
        assertEquals(List.of(1L, 2L), early.seqs());
        assertFalse(early.completed().get(), "the stream waits for the terminal event");

        table.offer(succeeded);
        assertEquals(List.of(1L, 2L, 3L), early.seqs());
        assertTrue(early.completed().get());

        Followed late = Followed.of(table, "job-a", 2); // a client reconnecting with Last-Event-ID 2
        assertEquals(List.of(3L), late.seqs());
        assertTrue(late.completed().get());

        table.offer(succeeded); // a duplicate changes nothing
        Followed replay = Followed.of(table, "job-a", 0);
        assertEquals(List.of(1L, 2L, 3L), replay.seqs());
        assertTrue(replay.completed().get());
    }

    @Test
    void anEndedJobWithoutEventsEndsOnItsSnapshot() {
        JobTable table = new JobTable();
        JobStatus status = queued("job-b");
        status = status.apply(status.next(JobState.CANCELLED, T0.plusSeconds(1), null));
        table.offer(status); // its events past the topic's retention

        Followed f = Followed.of(table, "job-b", 0);
        assertEquals(List.of(), f.seqs());
        assertTrue(f.completed().get());
    }
}
