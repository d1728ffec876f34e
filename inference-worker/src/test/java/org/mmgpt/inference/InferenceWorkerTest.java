package org.mmgpt.inference;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.mmgpt.engine.model.NewModel;
import org.mmgpt.protocol.inference.ChatMessage;
import org.mmgpt.protocol.inference.InferenceCancel;
import org.mmgpt.protocol.inference.InferenceError.Code;
import org.mmgpt.protocol.inference.InferenceRequest;
import org.mmgpt.protocol.inference.InferenceResponse;
import org.mmgpt.protocol.inference.InferenceResponse.Kind;
import org.mmgpt.protocol.inference.Sampling;
import org.mmgpt.protocol.jobs.JobRequest;
import org.mmgpt.protocol.jobs.JobState;
import org.mmgpt.protocol.jobs.JobStatus;
import org.mmgpt.protocol.params.JobValidator;
import org.mmgpt.protocol.storage.ArtifactStore;
import org.mmgpt.protocol.topics.Topics;
import org.mmgpt.testsupport.EmbeddedKafka;
import org.mmgpt.testsupport.KafkaBrokerResource;
import org.mmgpt.testsupport.KafkaJobs;
import org.mmgpt.testsupport.RepoRoot;

/**
 * The packaged inference worker against a real broker, serving micro models (random weights, the real
 * Qwen2.5 tokenizer) from a real storage root. Requests and answers are the records a gateway would
 * send and read; answers are compared with what the engine alone generates. The worker runs with a
 * batch of 4, a queue of 4, two resident models and a 200 ms reload check (application.properties, %test).
 */
@QuarkusTest
@WithTestResource(KafkaBrokerResource.class)
class InferenceWorkerTest {

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final Path STORAGE = Path.of("target/test-storage");
    private static final String GATEWAY = "gateway-test";
    private static final int REPLY_PARTITION = 2;
    private static KafkaJobs kafka;
    private static Replies replies;
    private static ArtifactStore store;

    @BeforeAll
    static void setUp() throws IOException {
        store = new ArtifactStore(STORAGE);
        TestModels.micro(STORAGE.resolve("models/m1"), 1);
        TestModels.micro(STORAGE.resolve("models/m2"), 2);
        TestModels.micro(STORAGE.resolve("models/m3"), 3);
        TestModels.adapter(STORAGE.resolve("models/m1"), STORAGE.resolve("adapters/a1"), 4);
        kafka = new KafkaJobs(EmbeddedKafka.bootstrapServers());
        replies = new Replies(kafka.companion());
    }

    @AfterAll
    static void tearDown() {
        replies.close();
        kafka.close();
    }

    @BeforeEach
    void workerReady() {
        await().atMost(WAIT).until(() -> given().get("/q/health/ready").statusCode() == 200);
    }

    private static String newId() {
        return "req-" + UUID.randomUUID().toString().substring(0, 12);
    }

    private static InferenceRequest chat(String id, String model, String user, boolean stream, int n, Double temperature,
            Long seed, int maxTokens) {
        Sampling sampling = new Sampling(maxTokens, temperature, null, null, null, null, null, seed, null, null);
        return new InferenceRequest(id, GATEWAY, REPLY_PARTITION, model, List.of(new ChatMessage("user", user)), null,
                sampling, n, stream, Instant.now().plusSeconds(120), Instant.now());
    }

    private static void send(InferenceRequest request) {
        kafka.send(Topics.INFERENCE_REQUESTS, request.requestId(), request);
    }

    private static List<InferenceResponse> ask(InferenceRequest request) {
        send(request);
        return replies.awaitDone(request.requestId(), request.n(), WAIT);
    }

    @Test
    void aStreamedAnswerComesPieceByPieceToTheAskingGatewayAndEqualsTheEngineAlone() {
        InferenceRequest request = chat(newId(), "models/m1", "What is a fever?", true, 1, 0.9, 7L, 24);
        List<InferenceResponse> answer = ask(request);

        assertTrue(Replies.error(answer).isEmpty(), answer.toString());
        List<InferenceResponse> pieces = answer.stream().filter(r -> r.kind() == Kind.TEXT).toList();
        assertTrue(pieces.size() > 1, "streamed in pieces: " + answer);
        InferenceResponse end = Replies.end(answer, 0);
        assertEquals("length", end.finishReason());
        assertEquals(24, end.usage().completionTokens());
        assertTrue(end.usage().promptTokens() > 5);
        assertEquals(TestModels.generate(STORAGE.resolve("models/m1"), null, "What is a fever?", 0.9, 7L, 24),
                Replies.text(answer, 0));
        for (ConsumerRecord<String, String> record : replies.raw(request.requestId())) {
            assertEquals(REPLY_PARTITION, record.partition(), "the partition the request named");
            assertEquals(GATEWAY, Replies.replyTo(record), "addressed to the asking gateway");
        }
    }

    @Test
    void eachOfNChoicesIsSampledWithItsOwnSeedAndAnUnstreamedChoiceComesWhole() {
        InferenceRequest request = chat(newId(), "models/m1", "Name a vitamin.", false, 2, 1.0, 11L, 10);
        List<InferenceResponse> answer = ask(request);

        assertTrue(answer.stream().noneMatch(r -> r.kind() == Kind.TEXT), "nothing before the end: " + answer);
        Path m1 = STORAGE.resolve("models/m1");
        assertEquals(TestModels.generate(m1, null, "Name a vitamin.", 1.0, 11L, 10), Replies.text(answer, 0));
        assertEquals(TestModels.generate(m1, null, "Name a vitamin.", 1.0, 12L, 10), Replies.text(answer, 1));
    }

    @Test
    void aRequestArrivingDuringAnotherJoinsTheRunningBatchAndFinishesFirst() {
        InferenceRequest longOne = chat(newId(), "models/m2", "Tell me everything.", true, 1, null, null, 900);
        send(longOne);
        await().atMost(WAIT).until(() -> replies.of(longOne.requestId()).stream().anyMatch(r -> r.kind() == Kind.TEXT));
        InferenceRequest shortOne = chat(newId(), "models/m2", "Hi", false, 1, null, null, 3);
        List<InferenceResponse> shortAnswer = ask(shortOne);

        assertEquals("length", Replies.end(shortAnswer, 0).finishReason());
        assertFalse(Replies.done(replies.of(longOne.requestId()), 1), "the long one still runs");
        cancel(longOne.requestId());
    }

    @Test
    void aCancelledRequestLeavesTheBatchAndGetsNothingMore() throws InterruptedException {
        InferenceRequest request = chat(newId(), "models/m1", "Tell me a long story.", true, 1, null, null, 900);
        send(request);
        await().atMost(WAIT).until(() -> replies.of(request.requestId()).stream().anyMatch(r -> r.kind() == Kind.TEXT));
        cancel(request.requestId());

        await().atMost(Duration.ofSeconds(10)).until(() -> sequencesHeld() == 0);
        Thread.sleep(300); // what was in flight when the sequence left
        int seen = replies.of(request.requestId()).size();
        Thread.sleep(1500); // longer than the heartbeat: a request still held would get an "alive"
        List<InferenceResponse> answer = replies.of(request.requestId());
        assertEquals(seen, answer.size(), "nothing after the cancel: " + answer);
        assertTrue(answer.stream().noneMatch(r -> r.kind() == Kind.END || r.kind() == Kind.ERROR), answer.toString());
    }

    @Test
    void aFullQueueIsAnsweredOverloadedAtOnce() {
        List<InferenceRequest> requests = new ArrayList<>();
        for (int i = 0; i < 10; i++) { // 4 generate, 4 wait, 2 are refused
            requests.add(chat(newId(), "models/m1", "Question " + i, false, 1, null, null, 900));
        }
        requests.forEach(InferenceWorkerTest::send);
        await().atMost(WAIT).until(() -> requests.stream()
                .filter(r -> Replies.error(replies.of(r.requestId())).isPresent()).count() >= 2);
        List<InferenceResponse> refused = requests.stream().map(r -> Replies.error(replies.of(r.requestId())))
                .flatMap(java.util.Optional::stream).toList();
        assertEquals(2, refused.size(), refused.toString());
        refused.forEach(e -> assertEquals(Code.OVERLOADED, e.error().code()));
        assertTrue(refused.get(0).error().message().contains("full"), refused.get(0).error().message());
        requests.forEach(r -> cancel(r.requestId()));
        await().atMost(Duration.ofSeconds(10)).until(() -> sequencesHeld() == 0);
    }

    @Test
    void anUnknownModelAndARequestLongerThanTheContextAreRefusedWithReasons() {
        InferenceResponse missing = Replies.error(ask(chat(newId(), "models/nope", "Hi", false, 1, null, null, 4)))
                .orElseThrow();
        assertEquals(Code.MODEL_NOT_FOUND, missing.error().code());
        assertTrue(missing.error().message().contains("models/nope"), missing.error().message());

        InferenceResponse tooLong = Replies.error(ask(chat(newId(), "models/m1", "Hi", false, 1, null, null, 5000)))
                .orElseThrow();
        assertEquals(Code.INVALID_REQUEST, tooLong.error().code());
        assertTrue(tooLong.error().message().contains("maximum context length is 1024 tokens"), tooLong.error().message());
    }

    @Test
    void anAdapterIsServedOverTheBaseItNamesOrOverAnExplicitOne() {
        Path m1 = STORAGE.resolve("models/m1");
        Path m2 = STORAGE.resolve("models/m2");
        Path a1 = STORAGE.resolve("adapters/a1");
        String overNamedBase = Replies.text(ask(chat(newId(), "adapters/a1", "Hello", false, 1, null, null, 8)), 0);
        assertEquals(TestModels.generate(m1, a1, "Hello", null, null, 8), overNamedBase);
        assertNotEquals(TestModels.generate(m1, null, "Hello", null, null, 8), overNamedBase, "the adapter changes the text");

        String overM2 = Replies.text(ask(chat(newId(), "adapters/a1@models/m2", "Hello", false, 1, null, null, 8)), 0);
        assertEquals(TestModels.generate(m2, a1, "Hello", null, null, 8), overM2);
    }

    @Test
    void aNewerArtifactPublishedUnderTheSameIdIsServedToTheNextRequests() throws Exception {
        // Sampled, not greedy: greedy decoding of random tied-embedding models repeats the last prompt
        // token whatever the weights, so two versions would answer alike.
        publishMicro("models/hot", 21);
        Path hot = STORAGE.resolve("models/hot");
        String v1 = TestModels.generate(hot, null, "Hello", 1.0, 3L, 8);
        assertEquals(v1, Replies.text(ask(chat(newId(), "models/hot", "Hello", false, 1, 1.0, 3L, 8)), 0));

        publishMicro("models/hot", 22);
        String v2 = TestModels.generate(hot, null, "Hello", 1.0, 3L, 8);
        assertNotEquals(v1, v2);
        Thread.sleep(300); // past the reload check
        assertEquals(v2, Replies.text(ask(chat(newId(), "models/hot", "Hello", false, 1, 1.0, 3L, 8)), 0));
    }

    @Test
    void theLeastRecentlyUsedModelIsUnloadedWhenAThirdIsAskedFor() {
        for (String model : List.of("models/m1", "models/m2", "models/m3")) {
            assertTrue(Replies.error(ask(chat(newId(), model, "Hi", false, 1, null, null, 2))).isEmpty());
        }
        String resident = given().get("/q/health/ready").then().extract()
                .path("checks.find { it.name == 'models-loaded' }.data.resident");
        assertEquals("models/m2=SERVING,models/m3=SERVING", resident);
    }

    @Test
    void aBatchInferenceJobAnswersEveryQueryInOrder() throws Exception {
        Path data = Files.createDirectories(STORAGE.resolve("data/queries")).resolve("questions.jsonl");
        Files.writeString(data, """
                {"query": "What is a fever?"}
                {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}, {"role": "user", "content": "What is a cold?"}]}
                {"query": "What is flu?"}
                """);
        String id = "job-" + UUID.randomUUID().toString().substring(0, 12);
        Map<String, Object> params = new HashMap<>(Map.of("base_model", "models/m1",
                "data_file", "data/queries/questions.jsonl", "max_new_tokens", 12, "temperature", 0.8, "seed", 5,
                "eval_batch_size", 2));
        JobRequest job = submit(id, params);
        JobStatus ended = awaitEnd(job.jobId());

        assertEquals(JobState.SUCCEEDED, ended.state(), ended.error());
        assertEquals(List.of("predictions/" + id + ".jsonl"), ended.artifacts());
        assertEquals(3, ended.progress().step());
        List<String> lines = Files.readAllLines(STORAGE.resolve("predictions/" + id + ".jsonl"), StandardCharsets.UTF_8);
        assertEquals(3, lines.size());
        assertTrue(lines.get(1).startsWith("{\"Input\":\"What is a cold?\",\"Output\":"), lines.get(1));
        String expected = TestModels.generate(STORAGE.resolve("models/m1"), null, "What is a fever?", 0.8, 5L, 12);
        assertEquals(expected, org.mmgpt.protocol.json.Json.MAPPER.readTree(lines.get(0)).path("Output").asText());
    }

    @Test
    void aBatchJobWithABadLineFailsNamingFileAndLine() throws Exception {
        Path data = Files.createDirectories(STORAGE.resolve("data/bad-queries")).resolve("q.jsonl");
        Files.writeString(data, "{\"query\": \"fine\"}\n{\"question\": \"wrong field\"}\n");
        JobRequest job = submit("job-" + UUID.randomUUID().toString().substring(0, 12),
                new HashMap<>(Map.of("base_model", "models/m1", "data_file", "data/bad-queries/q.jsonl")));
        JobStatus ended = awaitEnd(job.jobId());
        assertEquals(JobState.FAILED, ended.state());
        assertTrue(ended.error().contains("q.jsonl:2"), ended.error());
    }

    private static JobRequest submit(String id, Map<String, Object> params) throws Exception {
        var valid = new JobValidator(store).validate(Map.of("type", "batch-inference", "params", params), id);
        JobRequest request = new JobRequest(id, valid.type(), valid.params(), 1, null, Instant.now());
        kafka.submit(request);
        return request;
    }

    private static JobStatus awaitEnd(String jobId) {
        await().atMost(WAIT).until(() -> kafka.status(jobId).map(s -> s.state().isTerminal()).orElse(false));
        return kafka.status(jobId).orElseThrow();
    }

    /** Writes a micro model into a staging directory and publishes it as storage does. */
    private static void publishMicro(String target, long seed) throws IOException {
        Path staging = store.newStagingDir("job-publisher");
        NewModel.qwen2("micro", RepoRoot.path().resolve("models/qwen2.5-tokenizer"), seed).write(staging.resolve("m"));
        store.publish(staging.resolve("m"), target);
    }

    private static void cancel(String requestId) {
        kafka.send(Topics.INFERENCE_CONTROL, requestId, new InferenceCancel(requestId, Instant.now()));
    }

    private static double sequencesHeld() {
        String metrics = given().get("/q/metrics").asString();
        return metrics.lines().filter(l -> l.startsWith("mmgpt_inference_sequences ")).findFirst()
                .map(l -> Double.parseDouble(l.substring(l.indexOf(' ') + 1).trim())).orElse(-1.0);
    }
}
