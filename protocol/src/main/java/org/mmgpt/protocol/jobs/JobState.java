package org.mmgpt.protocol.jobs;

import java.util.EnumSet;
import java.util.Set;

/**
 * The life of a job. The allowed moves are code, so every writer and reader agrees on them:
 * <pre>
 *   QUEUED   → RUNNING | CANCELLED | FAILED
 *   RUNNING  → RUNNING (progress) | RETRYING | SUCCEEDED | FAILED | CANCELLED
 *   RETRYING → RUNNING | FAILED | CANCELLED
 *   SUCCEEDED, FAILED, CANCELLED: terminal, nothing follows
 * </pre>
 * RETRYING means an attempt ended without finishing (its worker died or handed it over) and the job
 * is being picked up again; QUEUED → FAILED is a job a worker refused (for example after too many
 * lost attempts).
 */
public enum JobState {
    QUEUED,
    RUNNING,
    RETRYING,
    SUCCEEDED,
    FAILED,
    CANCELLED;

    public boolean isTerminal() {
        return this == SUCCEEDED || this == FAILED || this == CANCELLED;
    }

    public boolean canMoveTo(JobState next) {
        return successors().contains(next);
    }

    public Set<JobState> successors() {
        return switch (this) {
            case QUEUED -> EnumSet.of(RUNNING, CANCELLED, FAILED);
            case RUNNING -> EnumSet.of(RUNNING, RETRYING, SUCCEEDED, FAILED, CANCELLED);
            case RETRYING -> EnumSet.of(RUNNING, FAILED, CANCELLED);
            case SUCCEEDED, FAILED, CANCELLED -> EnumSet.noneOf(JobState.class);
        };
    }
}
