package org.mmgpt.gateway;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.mmgpt.protocol.jobs.JobRequest;
import org.mmgpt.protocol.jobs.JobState;
import org.mmgpt.protocol.jobs.JobType;
import org.mmgpt.protocol.params.Param;
import org.mmgpt.protocol.topics.Topics;
import org.mmgpt.testsupport.KafkaBrokerResource;

@QuarkusTest
@WithTestResource(KafkaBrokerResource.class)
@WithTestResource(StorageFixture.class)
class JobSubmissionTest extends GatewayTestBase {

    @Test
    void aValidJobIsQueuedAndItsRequestPublishedWithTheValidatedParams() {
        Response created = given().contentType(ContentType.JSON)
                .body(Map.of("type", "sft", "params", Map.of(
                        "model_name_or_path", "./models/base",
                        "train_file_dir", "data/finetune/",
                        "max_steps", 20,
                        "learning_rate", 2e-5,
                        "target_modules", "q_proj,v_proj",
                        "template_name", "qwen")))
                .post("/v1/jobs")
                .then().statusCode(201)
                .header("Location", containsString("/v1/jobs/job-"))
                .body("state", equalTo("QUEUED"))
                .body("type", equalTo("sft"))
                .body("seq", equalTo(1))
                .body("attempts", equalTo(0))
                .body("params.model_name_or_path", equalTo("models/base"))
                .body("params.use_peft", equalTo(true))
                .body("params.max_retries", equalTo(3))
                .body("submitted_at", startsWith("20"))
                .extract().response();
        String id = created.path("id");
        created.then().body("params.output_dir", equalTo("adapters/" + id));

        await().atMost(WAIT).until(() -> kafka.requests(id).size() == 1);
        JobRequest request = kafka.requests(id).get(0);
        assertEquals(List.of(Topics.STAGE_REQUESTS), kafka.requestTopics(id));
        assertEquals(JobType.SFT, request.type());
        assertEquals(1, request.attempt());
        assertEquals("data/finetune", request.params().text(Param.TRAIN_FILE_DIR).orElseThrow());
        assertEquals(20L, request.params().integer(Param.MAX_STEPS).getAsLong());
        assertEquals(List.of("q_proj", "v_proj"), request.params().names(Param.TARGET_MODULES));
        assertEquals(JobState.QUEUED, statusOnKafka(id).state());
        assertEquals(JobState.QUEUED, kafka.events(id).get(0).state());

        given().get("/v1/jobs/" + id).then().statusCode(200).body("id", equalTo(id)).body("state", equalTo("QUEUED"));
    }

    @Test
    void aMergeGoesToTheMergeRequestTopic() {
        String id = given().contentType(ContentType.JSON)
                .body(Map.of("type", "merge", "params", Map.of("base_model", "models/base", "lora_model", "adapters/a1")))
                .post("/v1/jobs")
                .then().statusCode(201).body("params.output_dir", startsWith("models/job-"))
                .extract().path("id");
        await().atMost(WAIT).until(() -> kafka.requests(id).size() == 1);
        assertEquals(List.of(Topics.MERGE_REQUESTS), kafka.requestTopics(id));
    }

    @Test
    void aBadRequestIsRefusedNamingEveryInvalidField() {
        given().contentType(ContentType.JSON)
                .body(Map.of("type", "dpo", "params", Map.of(
                        "model_name_or_path", "models/base",
                        "max_steps", "ten",
                        "learning_rate", -1,
                        "lora_dropout", 1.5,
                        "block_size", 512,
                        "gradient_checkpointing", "often")))
                .post("/v1/jobs")
                .then().statusCode(400)
                .body("error", equalTo("invalid job request"))
                .body("fields", hasSize(6))
                .body("fields.field", hasItems("params.max_steps", "params.learning_rate", "params.lora_dropout",
                        "params.block_size", "params.gradient_checkpointing", "params.train_file_dir"))
                .body("fields.find { it.field == 'params.block_size' }.message",
                        equalTo("is not a parameter of dpo jobs (used by pt)"))
                .body("fields.find { it.field == 'params.train_file_dir' }.message", equalTo("is required for dpo jobs"));
    }

    @Test
    void pathsThatLeaveTheStorageRootAreRefused() {
        given().contentType(ContentType.JSON)
                .body(Map.of("type", "pt", "params", Map.of(
                        "model_name_or_path", "/etc/models",
                        "train_file_dir", "data/../../etc",
                        "validation_file_dir", "data/escape",
                        "output_dir", "~/outputs")))
                .post("/v1/jobs")
                .then().statusCode(400)
                .body("fields", hasSize(4))
                .body("fields.find { it.field == 'params.model_name_or_path' }.message",
                        containsString("relative to the storage root"))
                .body("fields.find { it.field == 'params.train_file_dir' }.message", containsString("'..'"))
                .body("fields.find { it.field == 'params.validation_file_dir' }.message",
                        containsString("outside the storage root through a link"))
                .body("fields.find { it.field == 'params.output_dir' }.message", containsString("relative to the storage root"));
    }

    @Test
    void anUnknownTypeOrABodyThatIsNotAJobIsRefused() {
        given().contentType(ContentType.JSON).body(Map.of("type", "rlhf", "params", Map.of(), "priority", 1))
                .post("/v1/jobs")
                .then().statusCode(400)
                .body("fields.field", hasItems("type", "priority"))
                .body("fields.find { it.field == 'type' }.message", containsString("pt, sft, dpo, merge, pipeline"));
        given().contentType(ContentType.JSON).body("{not json").post("/v1/jobs")
                .then().statusCode(400).body("fields[0].field", equalTo("body"));
        given().contentType(ContentType.JSON).body("[1, 2]").post("/v1/jobs")
                .then().statusCode(400).body("fields[0].field", equalTo("body"));
    }
}
