package org.mmgpt.worker;

/** Thrown by {@link CancellationToken#throwIfCancelled()}; the plumbing decides how the job ends. */
public final class JobCancelledException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public JobCancelledException() {
        super("job stopped at a step boundary", null, false, false);
    }
}
