package org.mmgpt.worker;

import java.util.Map;

/** Where a running job reports how far it is. Cheap to call; thread-safe. */
@FunctionalInterface
public interface ProgressSink {

    /**
     * @param step       optimizer steps done
     * @param totalSteps steps the job will take
     * @param metrics    values measured since the last report, under the protocol's names (loss,
     *                   learning_rate, tokens_per_second, eval_loss, rewards/chosen, ...); a metric
     *                   not repeated keeps its last value
     */
    void report(long step, long totalSteps, Map<String, Double> metrics);
}
