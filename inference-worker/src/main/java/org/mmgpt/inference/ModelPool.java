package org.mmgpt.inference;

import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.mmgpt.protocol.inference.ModelCatalog;
import org.mmgpt.protocol.inference.ModelNotFoundException;
import org.mmgpt.protocol.inference.ServedModel;

/**
 * The models this worker keeps loaded, by id, each with its own {@link ModelServer}: a model loads on
 * its first request; at most {@code maxResident} stay, the least recently used one retiring (it
 * finishes what it holds, then frees its memory) when another must load. Every {@code recheck} a
 * resident model's files are compared with storage, and when a newer artifact was published under its
 * id, new requests go to a fresh server with the new version while the old one finishes its own.
 */
final class ModelPool {

    private static final System.Logger LOG = System.getLogger(ModelPool.class.getName());

    private final ModelCatalog catalog;
    private final int maxResident;
    private final long recheckNanos;
    private final int maxBatch;
    private final int maxQueued;
    /** Access order: the first entry is the least recently used. Guarded by this. */
    private final LinkedHashMap<String, Resident> resident = new LinkedHashMap<>(8, 0.75f, true);
    /** Every server not yet closed, retiring ones included (cancel orders must reach them too). */
    private final Set<ModelServer> live = ConcurrentHashMap.newKeySet();
    private boolean closed; // guarded by this

    private static final class Resident {
        final ModelServer server;
        long checkedAt;

        Resident(ModelServer server, long checkedAt) {
            this.server = server;
            this.checkedAt = checkedAt;
        }
    }

    ModelPool(ModelCatalog catalog, int maxResident, Duration recheck, int maxBatch, int maxQueued) {
        if (maxResident < 1 || maxBatch < 1 || maxQueued < 0) {
            throw new IllegalArgumentException("max resident models and batch size must be at least 1, the queue"
                    + " at least 0; got " + maxResident + ", " + maxBatch + ", " + maxQueued);
        }
        this.catalog = catalog;
        this.maxResident = maxResident;
        this.recheckNanos = recheck.toNanos();
        this.maxBatch = maxBatch;
        this.maxQueued = maxQueued;
    }

    /**
     * Hands the task to its model's server, loading the model first if it is not resident. Servers
     * retire only under this lock, so a resident one always takes the offer; RETIRED means the pool
     * is closed (the worker is shutting down).
     */
    synchronized ModelServer.Offer submit(GenerationTask task) throws ModelNotFoundException {
        if (closed) {
            return ModelServer.Offer.RETIRED;
        }
        return server(ModelCatalog.canonical(task.model())).offer(task);
    }

    /** Starts loading a model now (the worker's preload list), so its first request does not wait. */
    synchronized ModelServer warm(String id) throws ModelNotFoundException {
        return server(ModelCatalog.canonical(id));
    }

    void cancel(String taskId) {
        for (ModelServer server : live) {
            if (server.cancel(taskId)) {
                return;
            }
        }
    }

    /** The resident models by id, least recently used first, with the state of each: for health and tests. */
    synchronized Map<String, ModelServer.State> resident() {
        Map<String, ModelServer.State> states = new LinkedHashMap<>();
        resident.forEach((id, r) -> states.put(id, r.server.state()));
        return states;
    }

    /** Sequences waiting or running over all servers. */
    int load() {
        return live.stream().mapToInt(ModelServer::load).sum();
    }

    private ModelServer server(String id) throws ModelNotFoundException {
        long now = System.nanoTime();
        Resident r = resident.get(id);
        if (r != null && now - r.checkedAt < recheckNanos) {
            return r.server;
        }
        ServedModel current;
        try {
            current = catalog.resolve(id);
        } catch (ModelNotFoundException e) {
            if (r != null) {
                LOG.log(Level.INFO, "model {0} is gone from storage; unloading it", id);
                retire(id, r);
            }
            throw e;
        }
        if (r != null && r.server.state() != ModelServer.State.FAILED
                && r.server.model().version().equals(current.version())) {
            r.checkedAt = now;
            return r.server;
        }
        if (r != null) {
            LOG.log(Level.INFO, "model {0}: {1}; loading version {2}", id,
                    r.server.state() == ModelServer.State.FAILED ? "its last load failed" : "a newer version was published",
                    current.version());
            retire(id, r);
        }
        while (resident.size() >= maxResident) {
            Iterator<Map.Entry<String, Resident>> eldest = resident.entrySet().iterator();
            Map.Entry<String, Resident> lru = eldest.next();
            LOG.log(Level.INFO, "unloading model {0}, the least recently used, to make room for {1}", lru.getKey(), id);
            eldest.remove();
            lru.getValue().server.retire();
        }
        ModelServer server = new ModelServer(current, maxBatch, maxQueued, live::remove);
        live.add(server);
        resident.put(id, new Resident(server, now));
        return server.start();
    }

    /** The server finishes what it holds on its own thread, then frees the model and leaves {@link #live}. */
    private void retire(String id, Resident r) {
        resident.remove(id);
        r.server.retire();
    }

    /** Takes no more work; waits a while for each server to finish what it holds. */
    void close() throws InterruptedException {
        List<ModelServer> servers;
        synchronized (this) {
            closed = true;
            servers = new ArrayList<>(live);
            resident.clear();
        }
        for (ModelServer server : servers) {
            server.close(10_000);
        }
    }
}
