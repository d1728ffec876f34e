package org.mmgpt.e2e.harness;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

/**
 * The whole system as an operator runs it, each part a process of its own: a Kafka broker, the
 * gateway, trainer workers, a merger and an inference worker, all on one fresh storage root. Every
 * part can be stopped, killed (SIGKILL) and started again by the tests, which is what the
 * fault-tolerance tests are made of.
 *
 * <pre>
 * try (LocalSystem system = LocalSystem.builder("pipeline").start()) {
 *     Gateway gateway = system.gateway();
 *     ...
 *     system.trainers().get(0).kill();
 * }
 * </pre>
 * Files: {@code e2e/target/e2e/<name>/} holds {@code storage/}, {@code kafka/} and {@code logs/}
 * (one log per process, kept after the run for reading failures).
 */
public final class LocalSystem implements AutoCloseable {

    private static final Duration READY = Duration.ofMinutes(3);
    private static final Duration GRACE = Duration.ofSeconds(30);

    private final Path root;
    private final Path dir;
    private final Path storage;
    private final KafkaBroker broker;
    private final QuarkusService gateway;
    private final List<QuarkusService> trainers = new ArrayList<>();
    private final QuarkusService merger;
    private final QuarkusService inference;
    private final Gateway client;

    /** What to start: the number of trainers and properties for every service. */
    public static final class Builder {
        private final String name;
        private int trainers = 1;
        private final Map<String, String> properties = new LinkedHashMap<>();
        private final Map<String, String> trainerProperties = new LinkedHashMap<>();

        private Builder(String name) {
            this.name = name;
        }

        /** Trainer workers in the one consumer group (default 1). */
        public Builder trainers(int count) {
            this.trainers = count;
            return this;
        }

        /** A system property for every service (e.g. mmgpt.worker.handover-timeout). */
        public Builder property(String key, String value) {
            properties.put(key, value);
            return this;
        }

        /** A system property for the trainers only (e.g. kafka.session.timeout.ms). */
        public Builder trainerProperty(String key, String value) {
            trainerProperties.put(key, value);
            return this;
        }

        /** Makes the storage root, starts the broker, then every service, and waits until all are ready. */
        public LocalSystem start() {
            LocalSystem system = new LocalSystem(this);
            try {
                system.startAll();
            } catch (RuntimeException | Error e) {
                system.close();
                throw e;
            }
            return system;
        }
    }

    public static Builder builder(String name) {
        return new Builder(name);
    }

    private LocalSystem(Builder b) {
        root = Path.of(System.getProperty("mmgpt.e2e.root", "..")).toAbsolutePath().normalize();
        dir = Path.of(System.getProperty("mmgpt.e2e.work", "target/e2e")).toAbsolutePath().normalize().resolve(b.name);
        deleteTree(dir);
        storage = dir.resolve("storage");
        Path logs = dir.resolve("logs");
        try {
            Files.createDirectories(storage);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        broker = new KafkaBroker(root, dir.resolve("kafka"), logs.resolve("kafka.log"));

        Map<String, String> common = new LinkedHashMap<>();
        common.put("kafka.bootstrap.servers", broker.bootstrapServers());
        common.put("mmgpt.storage.root", storage.toString());
        common.putAll(b.properties);
        gateway = new QuarkusService(root, "gateway", "gateway", common, List.of("-Xmx256m"), logs.resolve("gateway.log"));
        for (int i = 1; i <= b.trainers; i++) {
            String name = "trainer-" + i;
            Map<String, String> properties = worker(common, name);
            properties.putAll(b.trainerProperties);
            trainers.add(new QuarkusService(root, name, "trainer-worker", properties, List.of("-Xmx1g"),
                    logs.resolve(name + ".log")));
        }
        merger = new QuarkusService(root, "merger-1", "merger", worker(common, "merger-1"), List.of("-Xmx1g"),
                logs.resolve("merger-1.log"));
        inference = new QuarkusService(root, "inference-1", "inference-worker", common, List.of("-Xmx512m"),
                logs.resolve("inference-1.log"));
        client = new Gateway(gateway.uri());
    }

    private static Map<String, String> worker(Map<String, String> common, String id) {
        Map<String, String> properties = new LinkedHashMap<>();
        properties.put("mmgpt.worker.id", id);
        properties.put("mmgpt.worker.progress-interval", "1s");
        properties.putAll(common);
        return properties;
    }

    private void startAll() {
        broker.start(READY);
        List<QuarkusService> all = services();
        all.forEach(QuarkusService::start);
        CompletableFuture.allOf(all.stream()
                .map(s -> CompletableFuture.runAsync(() -> s.awaitReady(READY)))
                .toArray(CompletableFuture[]::new)).join();
    }

    /** The checkout: data/, models/, the scripts. */
    public Path root() {
        return root;
    }

    /** The storage root every service shares. */
    public Path storage() {
        return storage;
    }

    public KafkaBroker broker() {
        return broker;
    }

    public QuarkusService gatewayService() {
        return gateway;
    }

    /** A client of the gateway's REST API. */
    public Gateway gateway() {
        return client;
    }

    public List<QuarkusService> trainers() {
        return List.copyOf(trainers);
    }

    /** The trainer whose worker id (its name) is {@code workerId}, as a job's {@code worker_id} names it. */
    public QuarkusService trainer(String workerId) {
        return trainers.stream().filter(t -> t.name().equals(workerId)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no trainer " + workerId + " among " + trainers));
    }

    public QuarkusService merger() {
        return merger;
    }

    public QuarkusService inference() {
        return inference;
    }

    /** Every service, the gateway first. */
    public List<QuarkusService> services() {
        List<QuarkusService> all = new ArrayList<>();
        all.add(gateway);
        all.addAll(trainers);
        all.add(merger);
        all.add(inference);
        return all;
    }

    /** The last lines of every log, for a failure's message. */
    public String logTails(int lines) {
        StringBuilder b = new StringBuilder();
        Stream.concat(services().stream().map(QuarkusService::process), Stream.of(broker.process()))
                .forEach(p -> b.append("\n---- ").append(p).append(", ").append(p.log()).append('\n')
                        .append(p.logTail(lines)));
        return b.toString();
    }

    /** Stops every service (SIGTERM, then SIGKILL after a grace period), then the broker. */
    @Override
    public void close() {
        CompletableFuture.allOf(services().stream()
                .map(s -> CompletableFuture.runAsync(() -> s.stop(GRACE)))
                .toArray(CompletableFuture[]::new)).join();
        broker.stop();
    }

    private static void deleteTree(Path path) {
        if (!Files.exists(path)) {
            return;
        }
        try (Stream<Path> files = Files.walk(path)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot clear " + path, e);
        }
    }
}
