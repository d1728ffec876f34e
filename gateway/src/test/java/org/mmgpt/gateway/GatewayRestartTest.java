package org.mmgpt.gateway;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mmgpt.protocol.jobs.JobRequest;
import org.mmgpt.protocol.jobs.JobType;
import org.mmgpt.protocol.params.Param;
import org.mmgpt.testsupport.KafkaBrokerResource;

/**
 * A gateway that starts on a broker holding history — as after a crash or a redeploy — shows every
 * job as Kafka has it and picks its pipelines up where they stood. (Its own test resource makes
 * Quarkus start a separate application for this class, on the same broker.)
 */
@QuarkusTest
@WithTestResource(KafkaBrokerResource.class)
@WithTestResource(StorageFixture.class)
@WithTestResource(SeededHistory.class)
class GatewayRestartTest extends GatewayTestBase {

    @TestHTTPResource("/v1/jobs")
    URI jobs;

    @Test
    void jobsAreRebuiltFromTheStatusTopicAndTheEventLog() throws Exception {
        given().get("/v1/jobs/" + SeededHistory.FINISHED).then().statusCode(200)
                .body("state", equalTo("SUCCEEDED"))
                .body("seq", equalTo(4))
                .body("metrics.loss", equalTo(1.75f))
                .body("artifacts", equalTo(List.of("adapters/" + SeededHistory.FINISHED)));
        given().get("/v1/jobs/" + SeededHistory.RUNNING).then().statusCode(200)
                .body("state", equalTo("RUNNING"))
                .body("attempts", equalTo(1));

        URI events = URI.create(jobs + "/" + SeededHistory.FINISHED + "/events");
        try (SseClient sse = new SseClient(events, null)) {
            assertEquals(List.of("1", "2", "3", "4"), sse.rest(WAIT).stream().map(SseClient.Event::id).toList(),
                    "the history without the duplicate");
        }
        try (SseClient sse = new SseClient(events, "2")) {
            assertEquals(List.of("3", "4"), sse.rest(WAIT).stream().map(SseClient.Event::id).toList());
        }
    }

    @Test
    void aPipelineContinuesWithTheStageItsLastGatewayDidNotSubmit() {
        String merge = SeededHistory.PIPELINE + "-2-merge";
        await().atMost(WAIT).until(() -> !kafka.requests(merge).isEmpty());
        JobRequest request = kafka.requests(merge).get(0);
        assertEquals(JobType.MERGE, request.type());
        assertEquals("adapters/" + SeededHistory.PIPELINE + "-1-pt", request.params().text(Param.LORA_MODEL).orElseThrow());
        given().get("/v1/jobs/" + SeededHistory.PIPELINE).then().body("progress.step", equalTo(1));
        await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(2)).until(() -> kafka.requests(merge).size() == 1);
        assertEquals(0, kafka.requests(SeededHistory.PIPELINE + "-1-pt").size(), "the finished stage is not run again");
    }
}
