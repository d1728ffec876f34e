package org.mmgpt.inference;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.lang.System.Logger.Level;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.mmgpt.protocol.inference.InferenceError;
import org.mmgpt.protocol.inference.InferenceError.Code;
import org.mmgpt.protocol.inference.InferenceRequest;
import org.mmgpt.protocol.inference.ModelCatalog;
import org.mmgpt.protocol.inference.ModelNotFoundException;
import org.mmgpt.protocol.storage.ArtifactStore;
import org.mmgpt.worker.runtime.WorkerConfig;

/**
 * The worker's side of live serving: takes requests from Kafka into the {@link ModelPool}, answers
 * through {@link ReplyPublisher}, drops requests whose client went away, and keeps the gateways
 * informed that their requests are alive.
 *
 * <p>Delivery: a request is acknowledged (its offset committed) once it is handed to a model's queue.
 * A worker that dies mid-generation loses its requests; their gateways notice the silence and retry
 * those of which the client has seen nothing yet (see docs/architecture.md). A request delivered twice
 * (after a rebalance) is dropped if this worker still holds it, and a request past its deadline or
 * cancelled before it arrived is dropped unseen.
 */
@ApplicationScoped
public class ServingService {

    private static final System.Logger LOG = System.getLogger(ServingService.class.getName());
    /** Cancel orders remembered for requests not seen yet (a cancel may overtake its request). */
    private static final int REMEMBERED_CANCELS = 10_000;

    private final InferenceConfig config;
    private final ReplyPublisher publisher;
    private final ModelPool pool;
    private final String workerId;
    private final Map<String, KafkaReply> active = new ConcurrentHashMap<>();
    private final Set<String> cancelled = Collections.synchronizedSet(Collections.newSetFromMap(
            new LinkedHashMap<>() {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
                    return size() > REMEMBERED_CANCELS;
                }
            }));
    private final ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "inference-heartbeat");
        t.setDaemon(true);
        return t;
    });
    private final Counter requests;
    private final Counter overloaded;

    @Inject
    public ServingService(InferenceConfig config, WorkerConfig worker, ArtifactStore store, ReplyPublisher publisher,
            MeterRegistry metrics) {
        this.config = config;
        this.publisher = publisher;
        this.pool = new ModelPool(new ModelCatalog(store), config.maxResidentModels(), config.reloadCheck(),
                config.maxBatchSize(), config.maxQueued());
        this.workerId = worker.id().orElseGet(ServingService::hostName);
        this.requests = metrics.counter("mmgpt.inference.requests");
        this.overloaded = metrics.counter("mmgpt.inference.overloaded");
        metrics.gauge("mmgpt.inference.sequences", pool, ModelPool::load);
    }

    void start(@Observes StartupEvent event) {
        long every = config.heartbeat().toNanos();
        ticker.scheduleAtFixedRate(() -> {
            long now = System.nanoTime();
            active.values().forEach(r -> r.heartbeat(now, every));
        }, every, every / 2, TimeUnit.NANOSECONDS);
        for (String id : config.preload().orElse(List.of())) {
            try {
                pool.warm(id);
            } catch (ModelNotFoundException e) {
                throw new IllegalStateException("mmgpt.inference.preload: " + e.getMessage(), e);
            }
        }
    }

    void stop(@Observes ShutdownEvent event) throws InterruptedException {
        ticker.shutdownNow();
        pool.close();
    }

    ModelPool pool() {
        return pool;
    }

    public String workerId() {
        return workerId;
    }

    public void submit(InferenceRequest request) {
        String id = request.requestId();
        if (request.deadline() != null && Instant.now().isAfter(request.deadline())) {
            LOG.log(Level.DEBUG, "dropping request {0}: its deadline passed before it arrived", id);
            return;
        }
        if (cancelled.contains(id)) {
            LOG.log(Level.DEBUG, "dropping request {0}: cancelled before it arrived", id);
            return;
        }
        KafkaReply reply = new KafkaReply(request, publisher, workerId, () -> active.remove(id));
        if (active.putIfAbsent(id, reply) != null) {
            LOG.log(Level.DEBUG, "dropping request {0}: delivered again while this worker holds it", id);
            return;
        }
        requests.increment();
        GenerationTask task = new GenerationTask(id, request.model(), request.messages(), request.prompt(), null,
                request.sampling(), request.n(), request.deadline(), reply);
        try {
            switch (pool.submit(task)) {
                case ACCEPTED -> { }
                case FULL -> {
                    overloaded.increment();
                    reply.failed(InferenceError.of(Code.OVERLOADED, "the worker's queue for " + request.model()
                            + " is full (" + config.maxBatchSize() + " generating, " + config.maxQueued()
                            + " waiting); retry shortly"));
                }
                case RETIRED -> reply.failed(InferenceError.of(Code.OVERLOADED, "the worker is shutting down; retry"));
            }
        } catch (ModelNotFoundException e) {
            reply.failed(InferenceError.of(Code.MODEL_NOT_FOUND, e.getMessage()));
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "request " + id + " failed", e);
            reply.failed(InferenceError.of(Code.INTERNAL, String.valueOf(e.getMessage())));
        }
    }

    public void cancel(String requestId) {
        cancelled.add(requestId);
        if (active.remove(requestId) != null) {
            pool.cancel(requestId);
            LOG.log(Level.DEBUG, "request {0} cancelled", requestId);
        }
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "inference-" + UUID.randomUUID().toString().substring(0, 8);
        }
    }
}
