package org.mmgpt.testsupport;

import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;

/**
 * One real single-node KRaft broker per test JVM, started on first use (2–5 s) and stopped when the
 * JVM exits. Its address is also kept in a system property: Quarkus loads test classes again when
 * it restarts the application for another profile, and the restarted application must find the same
 * broker (and the same records) rather than a fresh one.
 */
public final class EmbeddedKafka {

    private static final String BOOTSTRAP_PROPERTY = "mmgpt.test.kafka.bootstrap.servers";

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
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    cluster.close();
                } catch (Exception e) {
                    // the JVM is exiting; the temporary directories go with it
                }
            }, "embedded-kafka-stop"));
            String bootstrap = cluster.bootstrapServers();
            System.setProperty(BOOTSTRAP_PROPERTY, bootstrap);
            return bootstrap;
        } catch (Exception e) {
            throw new IllegalStateException("cannot start the in-process Kafka broker", e);
        }
    }
}
