package org.mmgpt.e2e.harness;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A single-node KRaft Kafka broker in a process of its own, from the jars the {@code kafka-broker}
 * module copies into {@code scripts/kafka/target/libs} (the broker scripts/kafka.sh runs locally,
 * with its log4j2 settings). Its ports and data directory are fixed when it is made, so a broker
 * stopped or killed and started again is the same broker with the same topics, as after a crash.
 */
public final class KafkaBroker {

    private static final String STARTED = "Kafka Server started";

    private final Path root;
    private final Path dir;
    private final int port;
    private final int controllerPort;
    private final ManagedProcess process;

    /**
     * @param root the checkout
     * @param dir  the broker's own directory (config, data); formatted here
     * @param log  where its output goes
     */
    public KafkaBroker(Path root, Path dir, Path log) {
        this.root = root;
        this.dir = dir;
        this.port = Net.freePort();
        this.controllerPort = Net.freePort();
        Path libs = root.resolve("scripts/kafka/target/libs");
        if (!Files.isDirectory(libs)) {
            throw new IllegalStateException("no broker jars in " + libs + ": build the kafka-broker module first"
                    + " (mvn -pl e2e -am verify builds it)");
        }
        Path config = writeConfig();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String classpath = libs + "/*";
        format(java, classpath, config, log);
        this.process = new ManagedProcess("kafka", List.of(java, "-Xms128m", "-Xmx512m",
                "-Dlog4j2.configurationFile=" + root.resolve("scripts/kafka/log4j2.properties"),
                "-cp", classpath, "kafka.Kafka", config.toString()), Map.of(), dir, log);
    }

    public String bootstrapServers() {
        return "127.0.0.1:" + port;
    }

    public ManagedProcess process() {
        return process;
    }

    /** Starts the broker and waits until it serves (its port answers and its log says it started). */
    public void start(Duration timeout) {
        long offset = process.start();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!(Net.answers(port) && process.logSince(offset).contains(STARTED))) {
            if (!process.isAlive()) {
                throw new IllegalStateException("the Kafka broker exited while starting:\n" + process.logTail(30));
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the Kafka broker did not start within " + timeout + ":\n"
                        + process.logTail(30));
            }
            Waits.sleep(Duration.ofMillis(200));
        }
    }

    /** SIGTERM (a controlled shutdown), SIGKILL after 30 s. */
    public void stop() {
        process.stop(Duration.ofSeconds(30));
    }

    /** SIGKILL: the broker dies at once, as in a crash. */
    public void kill() {
        process.kill();
    }

    private Path writeConfig() {
        try {
            Files.createDirectories(dir);
            Path config = dir.resolve("server.properties");
            Files.writeString(config, String.join("\n",
                    "process.roles=broker,controller",
                    "node.id=1",
                    "controller.quorum.bootstrap.servers=127.0.0.1:" + controllerPort,
                    "listeners=PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort,
                    "advertised.listeners=PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort,
                    "controller.listener.names=CONTROLLER",
                    "inter.broker.listener.name=PLAINTEXT",
                    "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
                    "log.dirs=" + dir.resolve("data"),
                    "num.partitions=1",
                    "offsets.topic.replication.factor=1",
                    "transaction.state.log.replication.factor=1",
                    "transaction.state.log.min.isr=1",
                    "share.coordinator.state.topic.replication.factor=1",
                    "share.coordinator.state.topic.min.isr=1",
                    "group.initial.rebalance.delay.ms=0",
                    // the services create their topics; a topic made by accident would hide a bug
                    "auto.create.topics.enable=false",
                    ""));
            return config;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Formats the KRaft storage once, with a new cluster id. */
    private void format(String java, String classpath, Path config, Path log) {
        // An id starting with "-" would be taken for an option by the tool (1 in 64; Kafka's own
        // random-uuid draws again in that case, and so does this).
        String clusterId;
        do {
            byte[] id = new byte[16];
            new SecureRandom().nextBytes(id);
            clusterId = Base64.getUrlEncoder().withoutPadding().encodeToString(id);
        } while (clusterId.startsWith("-"));
        try {
            Files.createDirectories(log.getParent());
            Process format = new ProcessBuilder(java, "-cp", classpath,
                    "-Dlog4j2.configurationFile=" + root.resolve("scripts/kafka/log4j2.properties"),
                    "kafka.tools.StorageTool", "format", "--standalone", "-t", clusterId, "-c", config.toString())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .start();
            if (!format.waitFor(120, TimeUnit.SECONDS) || format.exitValue() != 0) {
                format.destroyForcibly();
                throw new IllegalStateException("formatting the broker's storage failed; see " + log);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
