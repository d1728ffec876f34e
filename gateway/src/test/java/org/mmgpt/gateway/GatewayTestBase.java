package org.mmgpt.gateway;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.mmgpt.protocol.jobs.JobStatus;
import org.mmgpt.testsupport.EmbeddedKafka;
import org.mmgpt.testsupport.KafkaJobs;

/** What every gateway test needs: the gateway ready, and hands on the job topics to act as a worker. */
abstract class GatewayTestBase {

    static final Duration WAIT = Duration.ofSeconds(20);
    static KafkaJobs kafka;

    @BeforeAll
    static void openKafka() {
        kafka = new KafkaJobs(EmbeddedKafka.bootstrapServers());
    }

    /** Each time: RestAssured learns the application's (random) port only before each test. */
    @BeforeEach
    void gatewayReady() {
        await().atMost(WAIT).until(() -> given().get("/q/health/ready").statusCode() == 200);
    }

    @AfterAll
    static void closeKafka() {
        kafka.close();
    }

    /** The job's snapshot on the status topic, once it is there. */
    static JobStatus statusOnKafka(String jobId) {
        await().atMost(WAIT).until(() -> kafka.status(jobId).isPresent());
        return kafka.status(jobId).orElseThrow();
    }

    /** Waits until GET /v1/jobs/{id} shows the state. */
    static void awaitState(String jobId, String state) {
        await().atMost(WAIT).until(() -> state.equals(given().get("/v1/jobs/" + jobId).path("state")));
    }
}
