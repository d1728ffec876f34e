package org.mmgpt.gateway.inference;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.common.annotation.Identifier;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.KafkaRecord;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.lang.System.Logger.Level;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;
import org.mmgpt.protocol.inference.ChatMessage;
import org.mmgpt.protocol.inference.InferenceCancel;
import org.mmgpt.protocol.inference.InferenceError;
import org.mmgpt.protocol.inference.InferenceError.Code;
import org.mmgpt.protocol.inference.InferenceRequest;
import org.mmgpt.protocol.inference.InferenceResponse;
import org.mmgpt.protocol.inference.Sampling;
import org.mmgpt.protocol.json.Json;

/**
 * The gateway's side of generation over Kafka: publishes a request for the inference workers, routes
 * the answers back to the {@link Generation} waiting for them, and watches every request in flight.
 *
 * <p>Failure handling (see docs/architecture.md, "Serving"): a request whose worker has been silent
 * for {@code idle-timeout} (workers send "alive" every second while they hold a request) is presumed
 * lost with its worker and asked again, once, under a new id, if its client has seen no text yet;
 * otherwise it fails (503). A request past {@code request-timeout} fails (504). Either way the
 * workers are told to stop, as they are when the client goes away.
 */
@ApplicationScoped
public class InferenceClient {

    private static final System.Logger LOG = System.getLogger(InferenceClient.class.getName());

    @Inject
    ServingConfig config;
    @Inject
    @Identifier("default-kafka-broker")
    Map<String, Object> kafka;
    @Inject
    @Channel("inference-requests-out")
    @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = 4096)
    MutinyEmitter<InferenceRequest> requests;
    @Inject
    @Channel("inference-control-out")
    @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = 4096)
    MutinyEmitter<InferenceCancel> cancels;

    private final Map<String, Generation> pending = new ConcurrentHashMap<>();
    private String instanceId;
    private volatile ReplyConsumer replies;

    void start(@Observes StartupEvent event) {
        instanceId = config.instanceId().orElseGet(() -> hostName() + "-" + UUID.randomUUID().toString().substring(0, 8));
        replies = new ReplyConsumer(kafka, instanceId, config.replyPartition().orElse(null), pending::containsKey,
                this::deliver);
    }

    void stop(@Observes ShutdownEvent event) throws InterruptedException {
        if (replies != null) {
            replies.close();
        }
    }

    /** Reading its answer partition: requests can be served. */
    public boolean isReady() {
        return replies != null && replies.isRunning();
    }

    public String instanceId() {
        return instanceId;
    }

    /**
     * Publishes a request and returns what will carry its answer.
     *
     * @param messages a conversation, or null with {@code prompt}
     */
    public Generation generate(String model, List<ChatMessage> messages, String prompt, Sampling sampling, int n,
            boolean stream) {
        if (!isReady()) {
            throw new InferenceFailure(InferenceError.of(Code.UNAVAILABLE, "the gateway is not connected to Kafka yet"));
        }
        Instant now = Instant.now();
        String id = "req-" + UUID.randomUUID().toString().replace("-", "").substring(0, 20);
        InferenceRequest request = new InferenceRequest(id, instanceId, replies.partition(), model, messages, prompt,
                sampling, n, stream, now.plus(config.requestTimeout()), now);
        Generation generation = new Generation(request);
        pending.put(id, generation);
        publish(generation, request);
        return generation;
    }

    /** The client went away (or the resource is done with it): stop the worker if it still generates. */
    public void abandon(Generation generation) {
        String id = generation.abandon();
        if (id != null) {
            pending.remove(id);
            cancel(id);
        }
    }

    private void publish(Generation generation, InferenceRequest request) {
        requests.sendMessage(KafkaRecord.of(request.requestId(), request)).subscribe().with(ok -> { }, error -> {
            pending.remove(request.requestId());
            generation.fail(InferenceError.of(Code.UNAVAILABLE, "cannot publish the request to Kafka: " + error.getMessage()));
        });
    }

    private void cancel(String requestId) {
        cancels.sendMessage(KafkaRecord.of(requestId, new InferenceCancel(requestId, Instant.now())))
                .subscribe().with(ok -> { }, error -> LOG.log(Level.WARNING,
                        "cancel order for " + requestId + " not published: " + error.getMessage()));
    }

    /** On the reply thread: one record for a request this instance waits for. */
    private void deliver(String requestId, byte[] value) {
        Generation generation = pending.get(requestId);
        if (generation == null) {
            return;
        }
        InferenceResponse response;
        try {
            response = Json.read(value, InferenceResponse.class);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "unreadable answer to " + requestId + ": " + e.getMessage());
            return;
        }
        if (generation.accept(response)) {
            pending.remove(requestId);
        }
    }

    /** Every second: give up requests past their deadline, retry or fail the silent ones. */
    @Scheduled(every = "1s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
            skipExecutionIf = Scheduled.ApplicationNotRunning.class)
    void watch() {
        long now = System.nanoTime();
        Instant wall = Instant.now();
        long idle = config.idleTimeout().toNanos();
        for (Generation g : List.copyOf(pending.values())) {
            if (g.pastDeadline(wall)) {
                expire(g, InferenceError.of(Code.TIMEOUT, "no complete answer within " + config.requestTimeout().toSeconds()
                        + " s (mmgpt.serving.request-timeout)"));
            } else if (g.silentFor(idle, now)) {
                if (g.retryable()) {
                    String old = g.currentId();
                    InferenceRequest retry = g.retry();
                    pending.remove(old);
                    cancel(old);
                    pending.put(retry.requestId(), g);
                    LOG.log(Level.WARNING, "no answer to {0} for {1} s; asking again as {2}", old,
                            config.idleTimeout().toSeconds(), retry.requestId());
                    publish(g, retry);
                } else {
                    expire(g, InferenceError.of(Code.UNAVAILABLE, "no inference worker answered for "
                            + config.idleTimeout().toSeconds() + " s; try again"));
                }
            }
        }
    }

    private void expire(Generation g, InferenceError error) {
        String id = g.currentId();
        pending.remove(id);
        g.fail(error);
        cancel(id);
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "gateway";
        }
    }
}
