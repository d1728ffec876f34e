package org.mmgpt.gateway.inference;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.operators.multi.processors.UnicastProcessor;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import org.mmgpt.protocol.inference.InferenceError;
import org.mmgpt.protocol.inference.InferenceRequest;
import org.mmgpt.protocol.inference.InferenceResponse;

/**
 * One request in flight at this gateway: the answers its worker sends, in order, for the HTTP
 * resource to relay. Records come from the reply thread, the watchdog may fail or retry it, the
 * resource may abandon it; all of that is serialised here.
 *
 * <p>Once a worker has answered, only that worker's records count: should the request be delivered to
 * a second worker (a rebalance after the first died), the second one's answer would interleave with
 * the first's, so it is ignored and the watchdog decides.
 */
public final class Generation {

    private final InferenceRequest first;
    private final UnicastProcessor<InferenceResponse> events = UnicastProcessor.create();
    private final CompletableFuture<Void> started = new CompletableFuture<>();
    private InferenceRequest current;
    private int attempt = 1;
    private String workerId;
    private long lastHeard = System.nanoTime();
    private boolean textRelayed;
    private int ended;
    private boolean over;

    Generation(InferenceRequest request) {
        this.first = request;
        this.current = request;
    }

    public InferenceRequest request() {
        return first;
    }

    /** Completes at the first sign of a worker (text, end or alive); fails if the request fails first. */
    public Uni<Void> started() {
        return Uni.createFrom().completionStage(started);
    }

    /** The text and end records, in order; fails with {@link InferenceFailure}. One subscriber. */
    public Multi<InferenceResponse> events() {
        return events;
    }

    synchronized String currentId() {
        return current.requestId();
    }

    /** Takes a record of the current attempt; true when the request is over (every choice ended, or failed). */
    synchronized boolean accept(InferenceResponse r) {
        if (over) {
            return true;
        }
        if (workerId == null) {
            workerId = r.workerId();
        } else if (!workerId.equals(r.workerId())) {
            return false;
        }
        lastHeard = System.nanoTime();
        switch (r.kind()) {
            case ERROR -> fail(r.error());
            case ALIVE -> started.complete(null);
            case TEXT -> {
                started.complete(null);
                textRelayed = true;
                events.onNext(r);
            }
            case END -> {
                started.complete(null);
                events.onNext(r);
                if (++ended == first.n()) {
                    over = true;
                    events.onComplete();
                }
            }
        }
        return over;
    }

    synchronized void fail(InferenceError error) {
        if (!over) {
            over = true;
            InferenceFailure failure = new InferenceFailure(error);
            started.completeExceptionally(failure);
            events.onError(failure);
        }
    }

    /** Stops waiting; returns the id whose worker should be told to stop, or null if it was over. */
    synchronized String abandon() {
        if (over) {
            return null;
        }
        over = true;
        events.onComplete();
        return current.requestId();
    }

    synchronized boolean silentFor(long nanos, long now) {
        return !over && now - lastHeard >= nanos;
    }

    synchronized boolean pastDeadline(Instant now) {
        return !over && now.isAfter(first.deadline());
    }

    /** A silent request may be asked again only once, and only while its client has seen no text. */
    synchronized boolean retryable() {
        return !over && attempt == 1 && !textRelayed;
    }

    /** The next attempt: the same request under a new id, so late records of the first are not mistaken for it. */
    synchronized InferenceRequest retry() {
        attempt++;
        current = first.withId(first.requestId() + "-r" + attempt, Instant.now());
        workerId = null;
        lastHeard = System.nanoTime();
        return current;
    }
}
