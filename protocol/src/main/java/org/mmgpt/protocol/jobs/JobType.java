package org.mmgpt.protocol.jobs;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * What a job does. The wire name is what clients send in {@code "type"}; a new kind of work is a new
 * constant here plus a request topic in {@code Topics}.
 */
public enum JobType {
    PT("pt"),
    SFT("sft"),
    DPO("dpo"),
    MERGE("merge"),
    /** PT → merge → SFT → merge → DPO → merge, run by the gateway as child jobs. */
    PIPELINE("pipeline"),
    /** Answers every query of a jsonl file with a model (the seed's inference.py --data_file). */
    BATCH_INFERENCE("batch-inference");

    private final String wireName;

    JobType(String wireName) {
        this.wireName = wireName;
    }

    @JsonValue
    public String wireName() {
        return wireName;
    }

    /** The training stages: they read data and write a model or an adapter. */
    public boolean isTraining() {
        return this == PT || this == SFT || this == DPO;
    }

    public static Optional<JobType> fromWire(String name) {
        return Arrays.stream(values()).filter(t -> t.wireName.equals(name)).findFirst();
    }

    @JsonCreator
    static JobType parse(String name) {
        return fromWire(name).orElseThrow(() -> new IllegalArgumentException(
                "unknown job type '" + name + "'; one of " + wireNames()));
    }

    public static String wireNames() {
        return Arrays.stream(values()).map(JobType::wireName).collect(Collectors.joining(", "));
    }
}
