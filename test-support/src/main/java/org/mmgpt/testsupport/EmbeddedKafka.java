package org.mmgpt.testsupport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Stream;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;

/**
 * One real single-node KRaft broker per test JVM, started on first use (2–5 s).
 *
 * <p>Its address is kept in a system property: Quarkus loads test classes again when it starts
 * another application (other test resources or profile), and that application must find the same
 * broker, with the same records, rather than a fresh one. It is never closed: it dies with the JVM.
 *
 * <p>Its files are ours, under {@code target/embedded-kafka/broker-<pid>}, not the test kit's temporary
 * directory: the test kit deletes that one from an exit hook while the broker is still running, and a
 * broker whose metadata log directory fails halts the JVM with exit code 1 — after every test has
 * passed, which surefire reports as a failed fork. The next test JVM deletes the directories of
 * brokers whose JVM has ended; {@code mvn clean} deletes the rest.
 */
public final class EmbeddedKafka {

    private static final String BOOTSTRAP_PROPERTY = "mmgpt.test.kafka.bootstrap.servers";

    /**
     * Broker, client and companion logs at WARNING and above only: at INFO they are thousands of lines
     * per test class. Held here because java.util.logging keeps a logger's level only while the logger
     * is referenced.
     */
    private static final List<Logger> QUIET_LOGGERS = List.of(
            quiet("org.apache.kafka", Level.WARNING),
            quiet("kafka", Level.WARNING),
            quiet("state.change.logger", Level.WARNING),
            quiet("io.smallrye.reactive.messaging.kafka.companion", Level.WARNING),
            // its one warning on a healthy start: "the metadata log appears to be empty" (it is new)
            quiet("org.apache.kafka.controller.QuorumController", Level.SEVERE));

    private static Logger quiet(String name, Level level) {
        Logger logger = Logger.getLogger(name);
        logger.setLevel(level);
        return logger;
    }

    private EmbeddedKafka() {
    }

    public static synchronized String bootstrapServers() {
        String running = System.getProperty(BOOTSTRAP_PROPERTY);
        if (running != null) {
            return running;
        }
        try {
            KafkaClusterTestKit cluster = new KafkaClusterTestKit.Builder(new TestKitNodes.Builder()
                    .setBaseDirectory(brokerDirectory())
                    .setCombined(true)
                    .setNumBrokerNodes(1)
                    .setNumControllerNodes(1)
                    .build())
                    .setConfigProp("offsets.topic.replication.factor", "1")
                    .setConfigProp("transaction.state.log.replication.factor", "1")
                    .setConfigProp("transaction.state.log.min.isr", "1")
                    .setConfigProp("group.initial.rebalance.delay.ms", "0")
                    // The services create their topics; a topic made by accident would hide a bug.
                    .setConfigProp("auto.create.topics.enable", "false")
                    .build();
            cluster.format();
            cluster.startup();
            cluster.waitForReadyBrokers();
            String bootstrap = cluster.bootstrapServers();
            System.setProperty(BOOTSTRAP_PROPERTY, bootstrap);
            return bootstrap;
        } catch (Exception e) {
            throw new IllegalStateException("cannot start the in-process Kafka broker", e);
        }
    }

    /** A new directory for this JVM's broker, after deleting those of brokers whose JVM has ended. */
    private static Path brokerDirectory() throws IOException {
        Path parent = Path.of("target", "embedded-kafka").toAbsolutePath();
        Files.createDirectories(parent);
        try (Stream<Path> previous = Files.list(parent)) {
            for (Path dir : previous.toList()) {
                String name = dir.getFileName().toString();
                if (name.matches("broker-\\d+") && !isRunning(Long.parseLong(name.substring("broker-".length())))) {
                    deleteTree(dir);
                }
            }
        }
        Path dir = parent.resolve("broker-" + ProcessHandle.current().pid());
        deleteTree(dir); // a pid reused from an earlier JVM
        return Files.createDirectories(dir);
    }

    private static boolean isRunning(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> tree = Files.walk(dir)) {
            for (Path p : tree.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
