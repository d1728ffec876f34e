package org.mmgpt.gateway;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.mmgpt.protocol.jobs.JobRequest;
import org.mmgpt.protocol.jobs.JobState;
import org.mmgpt.protocol.jobs.JobStatus;
import org.mmgpt.protocol.jobs.JobType;
import org.mmgpt.protocol.params.Param;
import org.mmgpt.testsupport.KafkaBrokerResource;

/** A pipeline run by the gateway, with the test doing the workers' part through Kafka. */
@QuarkusTest
@WithTestResource(KafkaBrokerResource.class)
@WithTestResource(StorageFixture.class)
class PipelineTest extends GatewayTestBase {

    private static String submitPipeline() {
        return given().contentType(ContentType.JSON)
                .body(Map.of("type", "pipeline", "params", Map.of(
                        "model_name_or_path", "models/base",
                        "max_steps", 4,
                        "pt", Map.of("train_file_dir", "data/pretrain"),
                        "sft", Map.of("train_file_dir", "data/finetune"),
                        "dpo", Map.of("train_file_dir", "data/reward", "beta", 0.1))))
                .post("/v1/jobs")
                .then().statusCode(201)
                .body("state", equalTo("QUEUED"))
                .body("children", hasSize(6))
                .extract().path("id");
    }

    /** Waits for the stage's one request, and returns it. */
    private static JobRequest awaitRequest(String jobId) {
        await().atMost(WAIT).until(() -> !kafka.requests(jobId).isEmpty());
        return kafka.requests(jobId).get(0);
    }

    /** The worker's part: RUNNING, then SUCCEEDED with the stage's output as its artifact. */
    private static void runToSuccess(JobRequest request) {
        JobStatus running = kafka.act(statusOnKafka(request.jobId()), JobState.RUNNING, e -> e.withAttempt(1));
        kafka.act(running, JobState.SUCCEEDED,
                e -> e.withArtifacts(List.of(request.params().text(Param.OUTPUT_DIR).orElseThrow())));
    }

    @Test
    void eachStageRunsOnThePreviousMergedModelAndThePipelineEndsWithTheLast() {
        String id = submitPipeline();
        List<String> children = given().get("/v1/jobs/" + id).path("children");
        assertEquals(List.of(id + "-1-pt", id + "-2-merge", id + "-3-sft", id + "-4-merge", id + "-5-dpo", id + "-6-merge"),
                children);

        String base = "models/base";
        for (int i = 0; i < children.size(); i++) {
            JobRequest request = awaitRequest(children.get(i));
            assertEquals(id, request.parentId());
            awaitState(id, "RUNNING");
            given().get("/v1/jobs/" + id).then().body("progress.step", equalTo(i)).body("progress.total_steps", equalTo(6));
            if (request.type() == JobType.MERGE) {
                assertEquals(base, request.params().text(Param.BASE_MODEL).orElseThrow());
                assertEquals("adapters/" + children.get(i - 1), request.params().text(Param.LORA_MODEL).orElseThrow());
                base = request.params().text(Param.OUTPUT_DIR).orElseThrow();
            } else {
                assertEquals(base, request.params().text(Param.MODEL_NAME_OR_PATH).orElseThrow());
                assertEquals(4L, request.params().integer(Param.MAX_STEPS).getAsLong());
            }
            runToSuccess(request);
            if (i == 1) {
                // The merge's SUCCEEDED published twice: the SFT stage is still submitted once.
                await().atMost(WAIT).until(() -> kafka.events(request.jobId()).size() == 3);
                kafka.publish(kafka.events(request.jobId()).get(2), statusOnKafka(request.jobId()));
            }
        }
        assertEquals(0.1, kafka.requests(id + "-5-dpo").get(0).params().number(Param.BETA).getAsDouble());
        awaitState(id, "SUCCEEDED");
        given().get("/v1/jobs/" + id).then()
                .body("artifacts", equalTo(List.of("models/" + id)))
                .body("progress.step", equalTo(6));
        for (String child : children) {
            assertEquals(1, kafka.requests(child).size(), "one request for " + child);
        }
    }

    @Test
    void cancellingAPipelineCancelsItsRunningStageAndSubmitsNoMore() {
        String id = submitPipeline();
        JobRequest first = awaitRequest(id + "-1-pt");
        kafka.act(statusOnKafka(first.jobId()), JobState.RUNNING, e -> e.withAttempt(1));

        given().post("/v1/jobs/" + id + "/cancel").then().statusCode(202);
        await().atMost(WAIT).until(() -> !kafka.commands(first.jobId()).isEmpty());
        kafka.act(statusOnKafka(first.jobId()), JobState.CANCELLED, e -> e);
        awaitState(id, "CANCELLED");
        await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(2))
                .until(() -> kafka.requests(id + "-2-merge").isEmpty());
    }

    @Test
    void aFailedStageFailsThePipelineWithItsReason() {
        String id = submitPipeline();
        JobRequest first = awaitRequest(id + "-1-pt");
        JobStatus running = kafka.act(statusOnKafka(first.jobId()), JobState.RUNNING, e -> e.withAttempt(1));
        kafka.act(running, JobState.FAILED, e -> e.withError("data/pretrain/fever.txt line 7: not UTF-8"));
        awaitState(id, "FAILED");
        String error = given().get("/v1/jobs/" + id).path("error");
        assertTrue(error.contains("stage 1 (pt") && error.contains("line 7: not UTF-8"), error);
    }
}
