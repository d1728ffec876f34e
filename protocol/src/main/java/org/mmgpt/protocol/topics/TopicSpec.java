package org.mmgpt.protocol.topics;

import java.util.Map;

/**
 * One topic of the system: its name, its default partition count (a service's config may override
 * it) and its topic configs (cleanup policy, retention). What its records are keyed by and hold is
 * said where its name is defined ({@link Topics}).
 *
 * @param configKey the name under which config overrides it: {@code mmgpt.topics.<configKey>.partitions}
 */
public record TopicSpec(String name, String configKey, int defaultPartitions, Map<String, String> configs) {

    public TopicSpec {
        configs = Map.copyOf(configs);
    }
}
