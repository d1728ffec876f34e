package org.mmgpt.gateway.jobs;

import io.smallrye.mutiny.Multi;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.mmgpt.protocol.jobs.JobEvent;
import org.mmgpt.protocol.jobs.JobState;
import org.mmgpt.protocol.jobs.JobStatus;
import org.mmgpt.protocol.jobs.JobType;

/**
 * What the gateway knows of every job: the latest snapshot (from the compacted status topic) and the
 * event history (from the event log), both rebuilt from Kafka at every start and followed live. It
 * holds nothing that Kafka does not.
 */
@ApplicationScoped
public class JobTable {

    /** Newest first, then by id, so paging is stable. */
    private static final Comparator<JobStatus> NEWEST_FIRST = Comparator
            .comparing(JobStatus::submittedAt, Comparator.nullsLast(Comparator.reverseOrder()))
            .thenComparing(JobStatus::id);

    private static final class Entry {
        JobStatus status;
        final List<JobEvent> history = new ArrayList<>();
        final List<Consumer<JobEvent>> followers = new ArrayList<>();
    }

    private final Map<String, Entry> jobs = new ConcurrentHashMap<>();

    /** Keeps the snapshot if it is newer (higher seq) than the one held; says whether it did. */
    public boolean offer(JobStatus status) {
        Entry entry = entry(status.id());
        synchronized (entry) {
            if (entry.status != null && status.seq() <= entry.status.seq()) {
                return false;
            }
            entry.status = status;
            return true;
        }
    }

    /**
     * Appends the event to the job's history if it follows the last one (higher seq, an allowed
     * move), so duplicates and stale events never enter it, and passes it to the job's followers.
     */
    public boolean offer(JobEvent event) {
        Entry entry = entry(event.jobId());
        synchronized (entry) {
            JobEvent last = entry.history.isEmpty() ? null : entry.history.get(entry.history.size() - 1);
            if (!event.follows(last)) {
                return false;
            }
            entry.history.add(event);
            List.copyOf(entry.followers).forEach(follower -> follower.accept(event));
            return true;
        }
    }

    public Optional<JobStatus> get(String id) {
        Entry entry = jobs.get(id);
        if (entry == null) {
            return Optional.empty();
        }
        synchronized (entry) {
            return Optional.ofNullable(entry.status);
        }
    }

    List<JobStatus> all() {
        List<JobStatus> statuses = new ArrayList<>();
        for (Entry entry : jobs.values()) {
            synchronized (entry) {
                if (entry.status != null) {
                    statuses.add(entry.status);
                }
            }
        }
        return statuses;
    }

    /**
     * The job's events after {@code afterSeq}, then its new events as they come; completes after
     * the job's terminal event (at once when the history already ends with it).
     *
     * <p>A terminal snapshot alone does not end the stream: the status and event topics are read
     * apart, and after a broker restart the snapshot can overtake its event by seconds. Every writer
     * has the event in Kafka before it writes the snapshot, so the event comes. Only a job with no
     * event left (its events past the topic's retention) ends on its snapshot.
     */
    public Multi<JobEvent> follow(String id, long afterSeq) {
        return Multi.createFrom().emitter(emitter -> {
            Entry entry = entry(id);
            synchronized (entry) {
                for (JobEvent event : entry.history) {
                    if (event.seq() > afterSeq) {
                        emitter.emit(event);
                    }
                }
                JobEvent last = entry.history.isEmpty() ? null : entry.history.get(entry.history.size() - 1);
                boolean ended = last != null ? last.state().isTerminal()
                        : entry.status != null && entry.status.state().isTerminal();
                if (ended) {
                    emitter.complete();
                    return;
                }
                Consumer<JobEvent> follower = event -> {
                    emitter.emit(event);
                    if (event.state().isTerminal()) {
                        emitter.complete();
                    }
                };
                entry.followers.add(follower);
                emitter.onTermination(() -> {
                    synchronized (entry) {
                        entry.followers.remove(follower);
                    }
                });
            }
        });
    }

    private Entry entry(String id) {
        return jobs.computeIfAbsent(id, key -> new Entry());
    }

    /** Jobs in any of the states and of any of the types (empty set: all), newest first, one page of them. */
    public JobPage list(Set<JobState> states, Set<JobType> types, int offset, int limit) {
        List<JobStatus> matching = all().stream()
                .filter(s -> states.isEmpty() || states.contains(s.state()))
                .filter(s -> types.isEmpty() || types.contains(s.type()))
                .sorted(NEWEST_FIRST)
                .toList();
        return new JobPage(matching.stream().skip(offset).limit(limit).toList(), matching.size(), offset, limit);
    }
}
