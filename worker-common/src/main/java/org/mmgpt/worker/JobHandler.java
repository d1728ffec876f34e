package org.mmgpt.worker;

import org.mmgpt.protocol.jobs.JobRequest;

/**
 * The work of one job, as a worker module provides it (one CDI bean per worker): the trainer runs
 * pt/sft/dpo, the merger runs merge. Everything around it — Kafka, status, retries, cancellation,
 * commits — is the worker plumbing's.
 *
 * <p>Contract:
 * <ul>
 *   <li>Called on a thread of its own; it may take hours.</li>
 *   <li>Report progress with {@link ProgressSink#report} as often as you like (each step is fine);
 *       the plumbing publishes the latest every few seconds.</li>
 *   <li>Check {@link CancellationToken#throwIfCancelled()} at every step boundary; a cancelled job
 *       should keep its last checkpoint.</li>
 *   <li>{@code request.attempt() > 1} means an earlier attempt was lost: resume from the last
 *       checkpoint under {@code ArtifactStore.checkpointsDir(jobId)}.</li>
 *   <li>Write the finished artifact in {@code ArtifactStore.newStagingDir(jobId)}, then
 *       {@code ArtifactStore.publish} it to the request's {@code output_dir}; return the published
 *       paths.</li>
 *   <li>Throw to fail the job; the exception's message becomes the job's error, so say what and
 *       where (file and line for bad data). The worker goes on with the next job.</li>
 * </ul>
 */
@FunctionalInterface
public interface JobHandler {

    JobResult run(JobRequest request, ProgressSink progress, CancellationToken cancellation) throws Exception;
}
