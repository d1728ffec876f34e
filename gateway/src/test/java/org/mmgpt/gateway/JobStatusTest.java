package org.mmgpt.gateway;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.mmgpt.protocol.jobs.JobCommand;
import org.mmgpt.protocol.jobs.JobEvent;
import org.mmgpt.protocol.jobs.JobState;
import org.mmgpt.protocol.jobs.JobStatus;
import org.mmgpt.protocol.jobs.JobType;
import org.mmgpt.protocol.jobs.Progress;
import org.mmgpt.protocol.json.Json;
import org.mmgpt.testsupport.KafkaBrokerResource;

/** Status written by a worker (the test, through Kafka) as the gateway shows it: GET, lists, SSE, cancel. */
@QuarkusTest
@WithTestResource(KafkaBrokerResource.class)
@WithTestResource(StorageFixture.class)
class JobStatusTest extends GatewayTestBase {

    @TestHTTPResource("/v1/jobs")
    URI jobs;

    private static String submit(String type) {
        Map<String, Object> params = switch (type) {
            case "merge" -> Map.of("base_model", "models/base", "lora_model", "adapters/a1");
            case "pt" -> Map.of("model_name_or_path", "models/base", "train_file_dir", "data/pretrain");
            case "dpo" -> Map.of("model_name_or_path", "models/base", "train_file_dir", "data/reward");
            default -> Map.of("model_name_or_path", "models/base", "train_file_dir", "data/finetune");
        };
        return given().contentType(ContentType.JSON).body(Map.of("type", type, "params", params))
                .post("/v1/jobs").then().statusCode(201).extract().path("id");
    }

    @Test
    void whatAWorkerPublishesShowsUpInTheJob() {
        String id = submit("sft");
        JobStatus status = kafka.act(statusOnKafka(id), JobState.RUNNING, e -> e.withAttempt(1));
        status = kafka.act(status, JobState.RUNNING, e -> e.withProgress(Progress.of(25, 100, 300L))
                .withMetrics(Map.of("loss", 2.25, "learning_rate", 1e-4, "tokens_per_second", 812.5)));
        kafka.act(status, JobState.SUCCEEDED, e -> e.withProgress(Progress.of(100, 100, 0L))
                .withMetrics(Map.of("eval_loss", 1.5)).withArtifacts(List.of("adapters/" + id)));

        awaitState(id, "SUCCEEDED");
        given().get("/v1/jobs/" + id).then()
                .body("attempts", equalTo(1))
                .body("seq", equalTo(4))
                .body("progress.step", equalTo(100))
                .body("progress.percent", equalTo(100.0f))
                .body("metrics.loss", equalTo(2.25f))
                .body("metrics.eval_loss", equalTo(1.5f))
                .body("metrics.tokens_per_second", equalTo(812.5f))
                .body("artifacts", equalTo(List.of("adapters/" + id)))
                .body("worker_id", equalTo("test-worker"))
                .body("started_at", not(equalTo(null)))
                .body("ended_at", not(equalTo(null)));
    }

    @Test
    void eventsReplayTheHistoryThenStreamLiveAndResumeAfterLastEventId() throws Exception {
        String id = submit("dpo");
        JobStatus status = kafka.act(statusOnKafka(id), JobState.RUNNING, e -> e.withAttempt(1));
        status = kafka.act(status, JobState.RUNNING, e -> e.withProgress(Progress.of(1, 10, 90L)));
        awaitSeq(id, 3);

        URI events = URI.create(jobs + "/" + id + "/events");
        try (SseClient sse = new SseClient(events, null)) {
            assertEquals(200, sse.status());
            assertEquals(List.of("1", "2", "3"), List.of(sse.next(WAIT).id(), sse.next(WAIT).id(), sse.next(WAIT).id()));
            JobStatus before = status;
            status = kafka.act(status, JobState.RUNNING, e -> e.withProgress(Progress.of(5, 10, 40L))
                    .withMetrics(Map.of("rewards/chosen", 0.5, "rewards/margins", 0.25)));
            SseClient.Event live = sse.next(WAIT);
            assertEquals("4", live.id());
            JobEvent event = Json.read(live.data().getBytes(), JobEvent.class);
            assertEquals(5, event.progress().step());
            assertEquals(0.25, event.metrics().get("rewards/margins"));

            // A duplicate publish of seq 4 (a worker retrying) does not reach the stream.
            JobEvent duplicate = before.next(JobState.RUNNING, Instant.now(), "test-worker");
            kafka.publish(duplicate, before.apply(duplicate));
            assertTrue(sse.quietFor(Duration.ofSeconds(1)));

            kafka.act(status, JobState.SUCCEEDED, e -> e.withArtifacts(List.of("adapters/" + id)));
            assertEquals("5", sse.next(WAIT).id());
            assertNull(sse.next(WAIT), "the stream ends with the job");
        }

        try (SseClient resumed = new SseClient(events, "3")) {
            assertEquals(List.of("4", "5"), resumed.rest(WAIT).stream().map(SseClient.Event::id).toList());
        }
        try (SseClient ended = new SseClient(events, "5")) {
            assertEquals(List.of(), ended.rest(WAIT));
        }
        given().get("/v1/jobs/" + id + "/events").then().statusCode(200);
        given().get("/v1/jobs/job-nothere/events").then().statusCode(404);
        given().header("Last-Event-ID", "x").get("/v1/jobs/" + id + "/events").then().statusCode(400)
                .body("fields[0].field", equalTo("Last-Event-ID"));
    }

    @Test
    void jobsAreListedByStateAndTypeNewestFirstAPageAtATime() {
        List<String> mine = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            mine.add(submit("pt"));
        }
        for (String id : mine.subList(0, 2)) {
            kafka.act(statusOnKafka(id), JobState.RUNNING, e -> e.withAttempt(1));
        }
        for (String id : mine.subList(0, 2)) {
            awaitState(id, "RUNNING");
        }
        given().queryParam("type", "pt").queryParam("state", "running").get("/v1/jobs").then().statusCode(200)
                .body("items.id", hasItem(mine.get(0))).body("items.id", hasItem(mine.get(1)))
                .body("items.id", not(hasItem(mine.get(2))))
                .body("items.findAll { it.type != 'pt' || it.state != 'RUNNING' }.size()", equalTo(0));

        int total = given().queryParam("type", "pt").get("/v1/jobs").path("total");
        List<String> seen = new ArrayList<>();
        List<String> submittedAt = new ArrayList<>();
        for (int offset = 0; offset < total; offset += 2) {
            List<Map<String, Object>> page = given().queryParam("type", "pt").queryParam("limit", 2)
                    .queryParam("offset", offset).get("/v1/jobs")
                    .then().statusCode(200).body("offset", equalTo(offset)).body("limit", equalTo(2))
                    .extract().path("items");
            assertTrue(page.size() <= 2);
            page.forEach(job -> {
                seen.add((String) job.get("id"));
                submittedAt.add((String) job.get("submitted_at"));
            });
        }
        assertEquals(total, seen.size());
        assertEquals(total, new HashSet<>(seen).size(), "no job on two pages");
        assertTrue(seen.containsAll(mine));
        List<String> newestFirst = new ArrayList<>(submittedAt);
        newestFirst.sort((a, b) -> Instant.parse(b).compareTo(Instant.parse(a)));
        assertEquals(newestFirst, submittedAt);

        given().queryParam("state", "DONE").get("/v1/jobs").then().statusCode(400).body("fields[0].field", equalTo("state"));
        given().queryParam("type", "rl").get("/v1/jobs").then().statusCode(400).body("fields[0].field", equalTo("type"));
        given().queryParam("limit", 0).get("/v1/jobs").then().statusCode(400).body("fields[0].field", equalTo("limit"));
        given().queryParam("offset", "-1").get("/v1/jobs").then().statusCode(400).body("fields[0].field", equalTo("offset"));
    }

    @Test
    void cancelPublishesAnOrderAndTheJobEndsWhenItsWorkerStopsIt() {
        String id = submit("merge");
        given().post("/v1/jobs/" + id + "/cancel").then().statusCode(202).body("id", equalTo(id));
        await().atMost(WAIT).until(() -> kafka.commands(id).size() == 1);
        JobCommand command = kafka.commands(id).get(0);
        assertEquals(JobCommand.Action.CANCEL, command.action());
        assertEquals(JobType.MERGE, command.jobType());

        kafka.act(statusOnKafka(id), JobState.CANCELLED, e -> e);
        awaitState(id, "CANCELLED");
        given().post("/v1/jobs/" + id + "/cancel").then().statusCode(409);
        given().post("/v1/jobs/job-nothere/cancel").then().statusCode(404);
        given().get("/v1/jobs/job-nothere").then().statusCode(404).body("error", equalTo("no job job-nothere"));
    }

    private static void awaitSeq(String id, int seq) {
        await().atMost(WAIT).until(() -> Integer.valueOf(seq).equals(given().get("/v1/jobs/" + id).path("seq")));
    }
}
