package org.mmgpt.testsupport;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.Map;

/**
 * Points a Quarkus test application at the JVM's in-process broker ({@link EmbeddedKafka}). Stopping
 * the application leaves the broker running, so a restarted application sees the same topics.
 */
public class KafkaBrokerResource implements QuarkusTestResourceLifecycleManager {

    @Override
    public Map<String, String> start() {
        return Map.of("kafka.bootstrap.servers", EmbeddedKafka.bootstrapServers());
    }

    @Override
    public void stop() {
        // the broker lives as long as the JVM
    }
}
