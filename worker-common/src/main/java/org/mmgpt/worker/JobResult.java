package org.mmgpt.worker;

import java.util.List;
import java.util.Map;

/**
 * What a finished job leaves: the storage-relative paths it published and its final metrics.
 */
public record JobResult(List<String> artifacts, Map<String, Double> metrics) {

    public JobResult {
        artifacts = List.copyOf(artifacts);
        metrics = Map.copyOf(metrics);
    }

    public static JobResult of(String... artifacts) {
        return new JobResult(List.of(artifacts), Map.of());
    }
}
