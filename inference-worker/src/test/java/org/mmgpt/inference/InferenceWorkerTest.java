package org.mmgpt.inference;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.reactive.messaging.kafka.companion.ConsumerTask;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mmgpt.protocol.inference.ChatMessage;
import org.mmgpt.protocol.inference.InferenceRequest;
import org.mmgpt.protocol.inference.InferenceResponse;
import org.mmgpt.protocol.json.Json;
import org.mmgpt.protocol.topics.Topics;
import org.mmgpt.testsupport.EmbeddedKafka;
import org.mmgpt.testsupport.KafkaBrokerResource;
import org.mmgpt.testsupport.KafkaJobs;

@QuarkusTest
@WithTestResource(KafkaBrokerResource.class)
class InferenceWorkerTest {

    @Test
    void everyRequestGetsAnAnswerKeyedByItsId() {
        await().atMost(Duration.ofSeconds(20)).until(() -> given().get("/q/health/ready").statusCode() == 200);
        try (KafkaJobs kafka = new KafkaJobs(EmbeddedKafka.bootstrapServers())) {
            ConsumerTask<String, String> answers = kafka.companion().consumeStrings().fromTopics(Topics.INFERENCE_RESPONSES);
            kafka.send(Topics.INFERENCE_REQUESTS, "req-1", new InferenceRequest("req-1", "gateway-a", "models/base",
                    List.of(new ChatMessage("user", "What is fever?")), 64, Instant.now()));
            answers.awaitRecords(1, Duration.ofSeconds(20));
            assertEquals("req-1", answers.getFirstRecord().key());
            InferenceResponse answer = Json.read(answers.getFirstRecord().value().getBytes(StandardCharsets.UTF_8),
                    InferenceResponse.class);
            assertEquals("req-1", answer.requestId());
            assertEquals("gateway-a", answer.replyTo());
            assertEquals("model serving is not wired to the engine yet", answer.error());
            answers.stop();
        }
    }
}
