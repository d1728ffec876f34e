package org.mmgpt.testsupport;

import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Stream;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;

/**
 * One real single-node KRaft broker per test JVM, started on first use (2–5 s). It is never closed:
 * it dies with the JVM, and the test kit's own exit hook deletes its temporary directories (closing
 * it from another hook would race that deletion). Its address is also kept in a system property: Quarkus loads test classes again when
 * it restarts the application for another profile, and the restarted application must find the same
 * broker (and the same records) rather than a fresh one.
 */
public final class EmbeddedKafka {

    private static final String BOOTSTRAP_PROPERTY = "mmgpt.test.kafka.bootstrap.servers";

    /**
     * Broker, client and companion logs at WARNING and above only: at INFO they are thousands of lines
     * per test class. Held here because java.util.logging keeps a logger's level only while the logger
     * is referenced.
     */
    private static final List<Logger> QUIET_LOGGERS = Stream.of("org.apache.kafka", "kafka", "state.change.logger",
                    "io.smallrye.reactive.messaging.kafka.companion")
            .map(Logger::getLogger)
            .peek(logger -> logger.setLevel(Level.WARNING))
            .toList();

    private EmbeddedKafka() {
    }

    public static synchronized String bootstrapServers() {
        String running = System.getProperty(BOOTSTRAP_PROPERTY);
        if (running != null) {
            return running;
        }
        try {
            KafkaClusterTestKit cluster = new KafkaClusterTestKit.Builder(new TestKitNodes.Builder()
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
}
