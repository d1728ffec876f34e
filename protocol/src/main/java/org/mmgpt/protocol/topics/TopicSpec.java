package org.mmgpt.protocol.topics;

import java.util.Map;

/**
 * One topic of the system: its name, what its records are keyed by, its default partition count
 * (a service's config may override it) and its topic configs (cleanup policy, retention).
 *
 * @param configKey the name under which config overrides it: {@code mmgpt.topics.<configKey>.partitions}
 */
public record TopicSpec(String name, String configKey, String key, String value, int defaultPartitions,
        Map<String, String> configs) {

    public TopicSpec {
        configs = Map.copyOf(configs);
    }
}
