package org.mmgpt.gateway;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.ValidatableResponse;
import io.smallrye.reactive.messaging.kafka.companion.ConsumerTask;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.mmgpt.protocol.inference.InferenceCancel;
import org.mmgpt.protocol.inference.InferenceRequest;
import org.mmgpt.protocol.json.Json;
import org.mmgpt.protocol.topics.Topics;
import org.mmgpt.testsupport.KafkaBrokerResource;

/**
 * The serving endpoints as far as the gateway alone decides: keys, validation, limits, the model
 * list, and what happens when no inference worker answers (none runs here). Answers from real workers
 * are tested end to end in serving-e2e.
 */
@QuarkusTest
@WithTestResource(KafkaBrokerResource.class)
@WithTestResource(StorageFixture.class)
class ServingApiTest extends GatewayTestBase {

    private static final String KEY = "test-key-1";

    private static Map<String, Object> chat(Map<String, Object> extra) {
        Map<String, Object> body = new HashMap<>(Map.of("model", "models/base",
                "messages", List.of(Map.of("role", "user", "content", "What is a fever?"))));
        body.putAll(extra);
        return body;
    }

    /** As OpenAI's clients send it: Accept: application/json, streamed or not. */
    private static ValidatableResponse post(String path, Object body) {
        return given().header("Authorization", "Bearer " + KEY).contentType(ContentType.JSON)
                .accept(ContentType.JSON).body(body).post(path).then();
    }

    /** 400 in OpenAI's shape, naming the field. */
    private static void refused(Map<String, Object> extra, String param, String code, String message) {
        post("/v1/chat/completions", chat(extra)).statusCode(400)
                .contentType(ContentType.JSON)
                .body("error.type", equalTo("invalid_request_error"))
                .body("error.param", equalTo(param))
                .body("error.code", equalTo(code))
                .body("error.message", containsString(message));
    }

    @Test
    void theServingEndpointsWantAKeyOfTheConfiguredOnesAndTheJobApiDoesNot() {
        given().get("/v1/models").then().statusCode(401)
                .header("WWW-Authenticate", "Bearer")
                .body("error.code", equalTo("invalid_api_key"))
                .body("error.type", equalTo("invalid_request_error"))
                .body("error.message", containsString("didn't provide an API key"));
        given().header("Authorization", "Bearer wrong").contentType(ContentType.JSON).body(chat(Map.of()))
                .post("/v1/chat/completions").then().statusCode(401)
                .body("error.message", equalTo("Incorrect API key provided."));
        given().header("Authorization", "Bearer wrong").contentType(ContentType.JSON)
                .body(Map.of("message", "hi")).post("/chat").then().statusCode(401);
        given().header("Authorization", "Bearer test-key-2").get("/v1/models").then().statusCode(200);
        given().get("/v1/jobs").then().statusCode(200);
    }

    @Test
    void modelsListsWhatStorageCanServe() {
        given().header("Authorization", "Bearer " + KEY).get("/v1/models").then().statusCode(200)
                .body("object", equalTo("list"))
                .body("data.id", equalTo(List.of("models/base")))
                .body("data[0].object", equalTo("model"))
                .body("data[0].owned_by", equalTo("mmgpt"));
    }

    @Test
    void everyFieldThisServerDoesNotImplementIsRefusedByName() {
        refused(Map.of("logprobs", true), "logprobs", "unsupported_parameter", "'logprobs' is not supported");
        refused(Map.of("tools", List.of(Map.of("type", "function"))), "tools", "unsupported_parameter", "not supported");
        refused(Map.of("response_format", Map.of("type", "json_object")), "response_format", "unsupported_parameter",
                "not supported");
        refused(Map.of("logit_bias", Map.of("50256", -100)), "logit_bias", "unsupported_parameter", "not supported");
        refused(Map.of("user", "u-1"), "user", "unsupported_parameter", "not supported");
        refused(Map.of("stream_options", Map.of("include_usage", true, "x", 1)), "stream_options", "invalid_value",
                "only allowed when stream is true");
        refused(Map.of("bogus", 1), "bogus", "unknown_parameter", "Unrecognized request argument supplied: bogus");
        refused(Map.of("messages", List.of(Map.of("role", "user", "content", "hi", "name", "ann"))),
                "messages[0].name", "unsupported_parameter", "not supported");
        refused(Map.of("messages", List.of(Map.of("role", "tool", "content", "hi"))), "messages[0].role",
                "invalid_value", "tools and functions are not supported");
        refused(Map.of("messages", List.of(Map.of("role", "user", "content",
                List.of(Map.of("type", "image_url", "image_url", Map.of("url", "x")))))),
                "messages[0].content[0]", "invalid_value", "only {\"type\": \"text\"");
        post("/v1/completions", Map.of("model", "models/base", "prompt", "Hi", "suffix", "!")).statusCode(400)
                .body("error.param", equalTo("suffix"));
        post("/v1/completions", Map.of("model", "models/base", "prompt", List.of("a", "b"))).statusCode(400)
                .body("error.param", equalTo("prompt")).body("error.code", equalTo("invalid_type"));
    }

    @Test
    void valuesOutOfRangeAndLimitsAreRefusedSayingTheLimit() {
        refused(Map.of("temperature", 3), "temperature", "invalid_value", "<= 2");
        refused(Map.of("temperature", "hot"), "temperature", "invalid_type", "expected a number");
        refused(Map.of("top_p", 0), "top_p", "invalid_value", "> 0");
        refused(Map.of("n", 9), "n", "invalid_value", "from 1 to 8");
        refused(Map.of("max_tokens", 5000), "max_tokens", "invalid_value", "from 1 to 4096");
        refused(Map.of("max_completion_tokens", 5000), "max_completion_tokens", "invalid_value", "from 1 to 4096");
        refused(Map.of("max_tokens", 5, "max_completion_tokens", 5), "max_completion_tokens", "invalid_value", "not both");
        refused(Map.of("stop", List.of("a", "b", "c", "d", "e")), "stop", "invalid_value", "at most 4");
        refused(Map.of("seed", 1.5), "seed", "invalid_type", "an integer");
        refused(Map.of("messages", List.of()), "messages", "invalid_value", "non-empty");
        post("/v1/chat/completions", "x".repeat(1_048_577)).statusCode(400)
                .body("error.code", equalTo("request_too_large"))
                .body("error.message", containsString("the limit on this server is 1048576 bytes"));
        post("/v1/chat/completions", "{\"model\": ").statusCode(400).body("error.code", equalTo("invalid_json"));
        post("/chat", Map.of("history", List.of())).statusCode(400).body("error.param", equalTo("message"));
        post("/chat", Map.of("message", "hi", "history", List.of("not a pair"))).statusCode(400)
                .body("error.param", equalTo("history"));
    }

    @Test
    void clientsThatAcceptOnlyAnotherTypeAre406() {
        given().header("Authorization", "Bearer " + KEY).contentType(ContentType.JSON).accept("text/html")
                .body(chat(Map.of())).post("/v1/chat/completions").then().statusCode(406);
        given().header("Authorization", "Bearer " + KEY).contentType(ContentType.JSON).accept("text/event-stream;q=0")
                .body(Map.of("message", "hi")).post("/chat").then().statusCode(406);
    }

    /**
     * Clients that accept only server-sent events reach every generating endpoint: the request is
     * matched and answered (here a 404 for an unknown model and a 400 for a bad field, both in OpenAI's
     * JSON shape, since no worker runs in this test; serving-e2e streams real answers to such a client).
     */
    @Test
    void clientsThatAcceptOnlyEventStreamsAreServed() {
        for (String accept : List.of("text/event-stream", "text/*", "text/html, text/event-stream;q=0.9")) {
            for (String path : List.of("/v1/chat/completions", "/v1/completions", "/chat")) {
                Map<String, Object> body = switch (path) {
                    case "/chat" -> Map.of("model", "models/none", "message", "hi", "stream", true);
                    case "/v1/completions" -> Map.of("model", "models/none", "prompt", "Hi", "stream", true);
                    default -> chat(Map.of("model", "models/none", "stream", true));
                };
                given().header("Authorization", "Bearer " + KEY).contentType(ContentType.JSON).accept(accept)
                        .body(body).post(path).then().statusCode(404)
                        .contentType(ContentType.JSON)
                        .body("error.code", equalTo("model_not_found"));
            }
            given().header("Authorization", "Bearer " + KEY).contentType(ContentType.JSON).accept(accept)
                    .body(chat(Map.of("stream", true, "top_p", 0))).post("/v1/chat/completions").then().statusCode(400)
                    .body("error.param", equalTo("top_p"));
        }
    }

    @Test
    void anUnknownModelIs404() {
        post("/v1/chat/completions", chat(Map.of("model", "models/none"))).statusCode(404)
                .body("error.code", equalTo("model_not_found"))
                .body("error.param", equalTo("model"))
                .body("error.message", containsString("models/none"));
        post("/v1/completions", Map.of("model", "adapters/a1", "prompt", "Hi")).statusCode(404)
                .body("error.message", containsString("names no base_model_name_or_path"));
    }

    @Test
    void aRequestNoWorkerAnswersIsAskedAgainOnceThenAnswered503AndCancelled() {
        ConsumerTask<String, String> requests = kafka.companion().consumeStrings().fromTopics(Topics.INFERENCE_REQUESTS);
        ConsumerTask<String, String> cancels = kafka.companion().consumeStrings().fromTopics(Topics.INFERENCE_CONTROL);
        try {
            post("/v1/chat/completions", chat(Map.of("temperature", 0.5, "seed", 7, "max_tokens", 9, "n", 2,
                    "stop", "\n", "top_k", 40, "presence_penalty", 0.5, "stop_token_ids", List.of(13))))
                    .statusCode(503)
                    .header("Retry-After", "1")
                    .body("error.type", equalTo("server_error"))
                    .body("error.code", equalTo("unavailable"))
                    .body("error.param", nullValue())
                    .body("error.message", containsString("no inference worker answered for 2 s"));

            await().atMost(WAIT).until(() -> requests.getRecords().size() >= 2 && cancels.getRecords().size() >= 2);
            List<InferenceRequest> sent = requests.getRecords().stream()
                    .map(r -> Json.read(r.value().getBytes(StandardCharsets.UTF_8), InferenceRequest.class)).toList();
            InferenceRequest first = sent.get(0);
            assertEquals(first.requestId() + "-r2", sent.get(1).requestId(), "asked again under a new id");
            assertEquals(first.requestId(), requests.getRecords().get(0).key());
            assertEquals("models/base", first.model());
            assertEquals(2, first.n());
            assertEquals(0.5, first.sampling().temperature());
            assertEquals(7L, first.sampling().seed());
            assertEquals(9, first.sampling().maxTokens());
            assertEquals(List.of("\n"), first.sampling().stop());
            assertEquals(40, first.sampling().topK());
            assertEquals(List.of(13L), first.sampling().stopTokenIds());
            assertTrue(first.deadline().isAfter(first.sentAt().plus(Duration.ofMinutes(9))));
            String replyTo = given().get("/q/health/ready").path("checks.find { it.name == 'inference-replies' }.data.instance");
            assertEquals(replyTo, first.replyTo());
            List<String> cancelled = cancels.getRecords().stream()
                    .map(r -> Json.read(r.value().getBytes(StandardCharsets.UTF_8), InferenceCancel.class).requestId())
                    .toList();
            assertEquals(List.of(first.requestId(), first.requestId() + "-r2"), cancelled);
        } finally {
            requests.stop();
            cancels.stop();
        }
    }

    @Test
    void aBatchInferenceJobIsValidatedAndGoesToItsRequestTopic() {
        given().contentType(ContentType.JSON)
                .body(Map.of("type", "batch-inference", "params", Map.of("base_model", "models/base",
                        "temperature", -1)))
                .post("/v1/jobs").then().statusCode(400)
                .body("fields.find { it.field == 'params.data_file' }.message", equalTo("is required for batch-inference jobs"))
                .body("fields.find { it.field == 'params.temperature' }.message", containsString("≥ 0"));
        String id = given().contentType(ContentType.JSON)
                .body(Map.of("type", "batch-inference", "params", Map.of("base_model", "models/base",
                        "data_file", "data/finetune/sft.jsonl", "max_new_tokens", 32)))
                .post("/v1/jobs").then().statusCode(201)
                .body("params.output_file", startsWith("predictions/job-"))
                .extract().path("id");
        await().atMost(WAIT).until(() -> kafka.requests(id).size() == 1);
        assertEquals(List.of(Topics.BATCH_INFERENCE_REQUESTS), kafka.requestTopics(id));
    }
}
