package org.mmgpt.gateway.jobs;

import java.util.List;
import org.mmgpt.protocol.jobs.JobStatus;

/** One page of {@code GET /v1/jobs}: the jobs on it, how many match in all, and where the page starts. */
public record JobPage(List<JobStatus> items, int total, int offset, int limit) {
}
