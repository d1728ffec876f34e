package org.mmgpt.protocol.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.mmgpt.protocol.jobs.JobCommand;
import org.mmgpt.protocol.jobs.JobEvent;
import org.mmgpt.protocol.jobs.JobRequest;
import org.mmgpt.protocol.jobs.JobState;
import org.mmgpt.protocol.jobs.JobStatus;
import org.mmgpt.protocol.jobs.JobType;
import org.mmgpt.protocol.jobs.Progress;
import org.mmgpt.protocol.params.JobParams;
import org.mmgpt.protocol.params.Param;

class JsonTest {

    private final Instant t0 = Instant.parse("2026-11-27T10:00:00Z");

    @Test
    void messagesTravelAsSnakeCaseJsonAndComeBackEqual() {
        JobRequest request = new JobRequest("job-a", JobType.SFT,
                JobParams.of(Map.of("max_steps", 10L, "learning_rate", 2e-5, "target_modules", List.of("all"))),
                1, "job-p", t0);
        String json = new String(Json.write(request), StandardCharsets.UTF_8);
        assertTrue(json.contains("\"job_id\":\"job-a\""), json);
        assertTrue(json.contains("\"type\":\"sft\""), json);
        assertTrue(json.contains("\"submitted_at\":\"2026-11-27T10:00:00Z\""), json);
        JobRequest back = Json.read(json.getBytes(StandardCharsets.UTF_8), JobRequest.class);
        assertEquals(request, back);
        assertEquals(10L, back.params().integer(Param.MAX_STEPS).getAsLong());

        JobStatus status = JobStatus.queued(request, List.of());
        JobEvent event = status.next(JobState.RUNNING, t0, "w1").withProgress(Progress.of(3, 10, 7L))
                .withMetrics(Map.of("rewards/chosen", 0.5));
        assertEquals(event, Json.read(Json.write(event), JobEvent.class));
        String eventJson = new String(Json.write(event), StandardCharsets.UTF_8);
        assertTrue(eventJson.contains("\"total_steps\":10") && eventJson.contains("\"eta_seconds\":7"), eventJson);
        assertEquals(status.apply(event), Json.read(Json.write(status.apply(event)), JobStatus.class));

        JobCommand cancel = JobCommand.cancel("job-a", JobType.SFT, t0);
        assertTrue(new String(Json.write(cancel), StandardCharsets.UTF_8).contains("\"action\":\"cancel\""));
        assertEquals(cancel, Json.read(Json.write(cancel), JobCommand.class));
    }

    @Test
    void unknownFieldsFromANewerWriterAreIgnored() {
        String json = "{\"job_id\":\"job-a\",\"type\":\"dpo\",\"params\":{},\"attempt\":1,\"priority\":5}";
        assertEquals(JobType.DPO, Json.read(json.getBytes(StandardCharsets.UTF_8), JobRequest.class).type());
    }
}
