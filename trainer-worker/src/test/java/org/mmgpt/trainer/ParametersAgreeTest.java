package org.mmgpt.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.mmgpt.engine.train.TrainingArguments;
import org.mmgpt.protocol.jobs.JobType;
import org.mmgpt.protocol.params.Param;

/**
 * The gateway validates job parameters with the protocol's {@link Param} list, the trainer reads them
 * with the engine's {@link TrainingArguments}: the two must accept the same names for the same
 * stages, or a job would be refused at the door or fail in the worker.
 */
class ParametersAgreeTest {
    /** Parameters of the services alone (retries, deadlines) or set by the worker itself. */
    private static final Set<String> SERVICE_ONLY = Set.of("max_retries", "deadline_seconds");
    private static final Set<String> WORKER_SET = Set.of("resume_from_checkpoint");

    @Test
    void everyTrainingOptionIsAJobParameterForTheSameStages() {
        for (TrainingArguments.Option o : TrainingArguments.OPTIONS) {
            if (WORKER_SET.contains(o.name())) {
                continue;
            }
            Param p = Param.byWireName(o.name()).orElse(null);
            assertTrue(p != null, o.name() + " is a training option but the gateway refuses it");
            for (String stage : TrainingArguments.STAGES) {
                assertEquals(o.stages().contains(stage), p.appliesTo(JobType.fromWire(stage).orElseThrow()),
                        o.name() + " for " + stage);
            }
        }
    }

    @Test
    void everyTrainingJobParameterIsATrainingOption() {
        Set<String> unknown = new TreeSet<>();
        for (Param p : Param.values()) {
            boolean training = TrainingArguments.STAGES.stream().anyMatch(s -> p.appliesTo(JobType.fromWire(s).orElseThrow()));
            if (training && !SERVICE_ONLY.contains(p.wireName()) && TrainingArguments.option(p.wireName()) == null) {
                unknown.add(p.wireName());
            }
        }
        assertEquals(Set.of(), unknown, "job parameters the trainer does not know");
    }
}
