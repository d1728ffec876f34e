package org.mmgpt.worker;

/**
 * Set when the job must stop: the user cancelled it, its deadline passed, or the worker is handing
 * it over (shutdown or rebalance; another attempt resumes it). Check it at step boundaries.
 */
public interface CancellationToken {

    boolean isCancelled();

    default void throwIfCancelled() {
        if (isCancelled()) {
            throw new JobCancelledException();
        }
    }
}
