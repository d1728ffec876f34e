package org.mmgpt.e2e.serving;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.mmgpt.engine.chat.ChatMessage;
import org.mmgpt.engine.chat.ChatTemplate;
import org.mmgpt.engine.generate.Generator;
import org.mmgpt.engine.generate.LanguageModel;
import org.mmgpt.engine.generate.SamplingParams;
import org.mmgpt.engine.generate.Sequence;
import org.mmgpt.engine.model.NewModel;
import org.mmgpt.protocol.topics.TopicProvisioner;
import org.mmgpt.testsupport.EmbeddedKafka;
import org.mmgpt.testsupport.PackagedService;
import org.mmgpt.testsupport.RepoRoot;

/**
 * Serving end to end: two packaged gateways and two packaged inference workers (one consumer group)
 * over a real broker, serving a micro model (random weights, the real Qwen2.5 tokenizer) from a real
 * storage root, with API keys on as in production. Clients are the official openai npm package, the
 * command line, and plain HTTP. Workers batch at most 8 sequences and queue 8 more each.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ServingEndToEndTest {

    private static final String KEY = "sk-e2e-test";
    private static final String MODEL = "models/micro";
    private static final Path STORAGE = Path.of("target/e2e-storage").toAbsolutePath();
    private static final Path LOGS = Path.of("target/e2e-logs").toAbsolutePath();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final List<PackagedService> workers = new ArrayList<>();
    private static final List<PackagedService> gateways = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        Path model = STORAGE.resolve(MODEL);
        if (!Files.exists(model.resolve("config.json"))) {
            NewModel.qwen2("micro", RepoRoot.path().resolve("models/qwen2.5-tokenizer"), 11).write(model);
        }
        String kafka = EmbeddedKafka.bootstrapServers();
        TopicProvisioner.ensure(Map.of("bootstrap.servers", kafka), Map.of(), Duration.ofSeconds(30));
        Map<String, String> common = Map.of("kafka.bootstrap.servers", kafka, "mmgpt.storage.root", STORAGE.toString());
        for (int i = 1; i <= 2; i++) {
            Map<String, String> worker = new java.util.HashMap<>(common);
            worker.putAll(Map.of("mmgpt.inference.preload", MODEL, "mmgpt.inference.max-batch-size", "8",
                    "mmgpt.inference.max-queued", "8", "mmgpt.worker.id", "worker-" + i));
            workers.add(Service.start("worker-" + i, "inference-worker", worker, LOGS));
            Map<String, String> gateway = new java.util.HashMap<>(common);
            gateway.put("mmgpt.serving.api-keys", KEY);
            gateways.add(Service.start("gateway-" + i, "gateway", gateway, LOGS));
        }
        Node.install();
        for (PackagedService s : gateways) {
            s.awaitReady(Duration.ofSeconds(120));
        }
        for (PackagedService s : workers) {
            s.awaitReady(Duration.ofSeconds(120));
        }
    }

    @AfterAll
    static void stop() throws InterruptedException {
        for (PackagedService s : gateways) {
            s.stop();
        }
        for (PackagedService s : workers) {
            s.stop();
        }
    }

    private static Map<String, String> clientEnv() {
        return Map.of("GATEWAYS", gateways.get(0).url() + "," + gateways.get(1).url(), "API_KEY", KEY, "MODEL", MODEL);
    }

    @Test
    @Order(1)
    void theOfficialOpenAiClientGetsEveryAnswerStreamedAndWhole() throws Exception {
        JsonNode results = Node.script("check.mjs", clientEnv(), 180);
        assertTrue(results.path("streamChunks").asInt() > 3, results.toString());
    }

    @Test
    @Order(2)
    void theStreamIsServerSentEventsByteForByteEvenForAClientAcceptingOnlyThose() throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(gateways.get(0).url() + "/v1/chat/completions"))
                .header("Authorization", "Bearer " + KEY).header("Content-Type", "application/json")
                .header("Accept", "text/event-stream")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(Map.of("model", MODEL, "stream", true,
                        "max_tokens", 5, "messages", List.of(Map.of("role", "user", "content", "Hi")))))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("text/event-stream", r.headers().firstValue("Content-Type").orElseThrow());
        String body = r.body();
        assertTrue(body.endsWith("\n\ndata: [DONE]\n\n"), body);
        for (String event : body.split("\n\n")) {
            assertTrue(event.startsWith("data: {") || event.equals("data: [DONE]"), event);
            assertEquals(1, event.lines().count(), "one line per event: " + event);
        }
    }

    @Test
    @Order(3)
    void theSameSeedGivesTheSameTextThroughEveryDoor() throws Exception {
        String question = "What is a fever?";
        Path model = STORAGE.resolve(MODEL);
        String[] sampling = {"--temperature", "0.8", "--seed", "42", "--max-new-tokens", "16"};

        String generate = JSON.readTree(mmgpt(null, concat(new String[] {"generate", "--model", model.toString(),
                "--chat", "--prompt", question, "--json"}, sampling))).path("text").asText();

        Path data = Files.createDirectories(STORAGE.resolve("data/doors")).resolve("queries.jsonl");
        Files.writeString(data, "{\"query\": \"" + question + "\"}\n{\"query\": \"And a cold?\"}\n");
        Path cliOut = STORAGE.resolve("data/doors/cli-predictions.jsonl");
        mmgpt(null, concat(new String[] {"batch", "--model", model.toString(), "--data-file", data.toString(),
                "--output-file", cliOut.toString()}, sampling));
        String cliBatch = JSON.readTree(Files.readAllLines(cliOut).get(0)).path("Output").asText();

        Map<String, Object> fields = Map.of("temperature", 0.8, "seed", 42, "max_tokens", 16);
        Map<String, Object> chatBody = new java.util.HashMap<>(fields);
        chatBody.putAll(Map.of("message", question, "model", MODEL));
        JsonNode chat = JSON.readTree(post(gateways.get(0), "/chat", chatBody).body());
        assertEquals(List.of(question, chat.path("response").asText()),
                List.of(chat.path("history").get(0).get(0).asText(), chat.path("history").get(0).get(1).asText()));

        chatBody.put("stream", true);
        String chatStream = post(gateways.get(1), "/chat", chatBody).body();
        StringBuilder deltas = new StringBuilder();
        String streamedWhole = null;
        for (String event : chatStream.split("\n\n")) {
            if (event.equals("data: [DONE]")) {
                continue;
            }
            JsonNode e = JSON.readTree(event.substring("data: ".length()));
            if (e.has("delta")) {
                deltas.append(e.path("delta").asText());
            } else {
                streamedWhole = e.path("response").asText();
            }
        }

        Map<String, Object> openAiBody = new java.util.HashMap<>(fields);
        openAiBody.putAll(Map.of("model", MODEL, "messages", List.of(Map.of("role", "user", "content", question))));
        String openAi = JSON.readTree(post(gateways.get(1), "/v1/chat/completions", openAiBody).body())
                .path("choices").get(0).path("message").path("content").asText();

        String job = batchJob(Map.of("base_model", MODEL, "data_file", "data/doors/queries.jsonl",
                "temperature", 0.8, "seed", 42, "max_new_tokens", 16));

        String remote = mmgpt(question + "\nexit\n", concat(new String[] {"chat", "--url", gateways.get(0).url(),
                "--api-key", KEY, "--model", MODEL}, sampling));

        assertEquals(generate, cliBatch, "mmgpt batch");
        assertEquals(generate, chat.path("response").asText(), "/chat");
        assertEquals(generate, deltas.toString(), "/chat streamed");
        assertEquals(generate, streamedWhole, "/chat streamed, last event");
        assertEquals(generate, openAi, "/v1/chat/completions");
        assertEquals(generate, job, "batch-inference job");
        assertTrue(remote.contains("assistant> " + generate + "\n"), "mmgpt chat --url:\n" + remote);
    }

    /**
     * Each sampling field the API takes reaches the engine: a request with that field alone gets the text
     * the engine alone samples with it, and that text differs from the one without it.
     */
    @Test
    @Order(4)
    void everySamplingFieldIsHonouredAsTheEngineAloneSamplesIt() throws Exception {
        String question = "What is a fever?";
        record Field(String name, Object value, java.util.function.UnaryOperator<SamplingParams.Builder> engine) {
        }
        List<Field> fields = List.of(
                new Field("top_p", 0.3, b -> b.sampling(0.8f, 0.3f, null)),
                new Field("top_k", 3, b -> b.sampling(0.8f, null, 3)),
                new Field("repetition_penalty", 2.0, b -> b.repetitionPenalty(2.0f)),
                new Field("presence_penalty", 2.0, b -> b.presencePenalty(2.0f)),
                new Field("frequency_penalty", 2.0, b -> b.frequencyPenalty(2.0f)));
        try (LanguageModel lm = LanguageModel.load(STORAGE.resolve(MODEL), null)) {
            String plain = engineAlone(lm, question, b -> b);
            for (Field field : fields) {
                Map<String, Object> body = new java.util.HashMap<>(Map.of("model", MODEL, "temperature", 0.8, "seed", 42,
                        "max_tokens", 16, "messages", List.of(Map.of("role", "user", "content", question))));
                body.put(field.name(), field.value());
                HttpResponse<String> r = post(gateways.get(1), "/v1/chat/completions", body);
                assertEquals(200, r.statusCode(), r.body());
                String served = JSON.readTree(r.body()).path("choices").get(0).path("message").path("content").asText();
                String alone = engineAlone(lm, question, field.engine());
                assertEquals(alone, served, field.name() + " as the engine alone samples it");
                assertNotEquals(plain, alone, field.name() + " changes the text (else this proves nothing)");
            }
        }
    }

    /** The worker's sampling for one user message: the model's defaults, temperature 0.8, seed 42, 16 tokens. */
    private static String engineAlone(LanguageModel lm, String user,
            java.util.function.UnaryOperator<SamplingParams.Builder> fields) {
        ChatTemplate template = lm.template(null);
        SamplingParams.Builder b = lm.defaults().maxNewTokens(16);
        b = fields.apply(b.sampling(0.8f, null, null)).seed(42L).stopStrings(template.stopStrings());
        Sequence seq = lm.sequence(lm.chatPrompt(template, List.of(ChatMessage.user(user))), b.build(), null);
        Generator.run(lm.model(), List.of(seq));
        return seq.text();
    }

    @Test
    @Order(5)
    void sixteenConcurrentStreamingClientsAllCompleteWellFormedOnBothWorkers() throws Exception {
        double before1 = workers.get(0).metric("mmgpt_inference_requests_total");
        double before2 = workers.get(1).metric("mmgpt_inference_requests_total");
        Map<String, String> env = new java.util.HashMap<>(clientEnv());
        env.putAll(Map.of("CLIENTS", "16", "REQUESTS", "3"));
        JsonNode summary = Node.script("load.mjs", env, 300);

        assertEquals(List.of(), JSON.convertValue(summary.path("problems"), List.class), summary.toString());
        assertEquals(48, summary.path("completed").asInt(), summary.toString());
        assertTrue(workers.get(0).metric("mmgpt_inference_requests_total") > before1, "worker 1 served some");
        assertTrue(workers.get(1).metric("mmgpt_inference_requests_total") > before2, "worker 2 served some");
        // Each sequence of a crowded batch kept its own sampling: asked again alone, the same text.
        assertEquals(4, summary.path("samples").size(), summary.toString());
        for (JsonNode sample : summary.path("samples")) {
            HttpResponse<String> alone = post(gateways.get(0), "/v1/chat/completions", Map.of("model", MODEL,
                    "temperature", 0.9, "seed", sample.path("seed").asLong(), "max_tokens", sample.path("max_tokens").asInt(),
                    "messages", List.of(Map.of("role", "user", "content", sample.path("prompt").asText()))));
            assertEquals(sample.path("text").asText(), JSON.readTree(alone.body()).path("choices").get(0)
                    .path("message").path("content").asText(), "client " + sample.path("client") + " alone");
        }
        // Stop strings are per request too: the same four asked again all at once (two workers, so some share
        // a batch), each once with a stop string taken from its text and once without.
        List<java.util.concurrent.CompletableFuture<Void>> checks = new ArrayList<>();
        int i = 0;
        for (JsonNode sample : summary.path("samples")) {
            String text = sample.path("text").asText();
            int[] points = text.codePoints().toArray();
            for (boolean withStop : new boolean[] {true, false}) {
                Map<String, Object> body = new java.util.HashMap<>(Map.of("model", MODEL, "temperature", 0.9,
                        "seed", sample.path("seed").asLong(), "max_tokens", sample.path("max_tokens").asInt(),
                        "messages", List.of(Map.of("role", "user", "content", sample.path("prompt").asText()))));
                String expected = text;
                String finish = null;
                if (withStop && points.length >= 6) {
                    String stop = new String(points, 3, 2);
                    body.put("stop", List.of(stop));
                    expected = text.substring(0, text.indexOf(stop));
                    finish = "stop";
                }
                String want = expected;
                String wantFinish = finish;
                HttpRequest request = HttpRequest.newBuilder(URI.create(gateways.get(i++ % 2).url() + "/v1/chat/completions"))
                        .header("Authorization", "Bearer " + KEY).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))).build();
                checks.add(HTTP.sendAsync(request, HttpResponse.BodyHandlers.ofString()).thenAccept(r -> {
                    JsonNode choice = read(r.body()).path("choices").get(0);
                    assertEquals(want, choice.path("message").path("content").asText(), body.toString());
                    if (wantFinish != null) {
                        assertEquals(wantFinish, choice.path("finish_reason").asText(), body.toString());
                    }
                }));
            }
        }
        java.util.concurrent.CompletableFuture.allOf(checks.toArray(new java.util.concurrent.CompletableFuture<?>[0]))
                .get(120, TimeUnit.SECONDS);
        System.out.printf("load: 48 streams, %d tokens in %.1f s%n", summary.path("tokens").asInt(),
                summary.path("seconds").asDouble());
    }

    @Test
    @Order(6)
    void beyondTheQueuesTheAnswerIsOverloadedAndAbandonedRequestsStopGenerating() throws Exception {
        Map<String, String> env = new java.util.HashMap<>(clientEnv());
        env.putAll(Map.of("REQUESTS", "48", "SECONDS", "5"));
        JsonNode outcome = Node.script("abandon.mjs", env, 120);

        assertEquals(List.of(), JSON.convertValue(outcome.path("other"), List.class), outcome.toString());
        assertTrue(outcome.path("overloaded").asInt() >= 16, "32 places in all: " + outcome);
        assertEquals(48, outcome.path("overloaded").asInt() + outcome.path("abandoned").asInt(), outcome.toString());
        // Left to run, the 32 admitted requests (900 tokens each) would generate for minutes here (about 200
        // tokens/s in all under the load above); 45 s leaves room for a slow machine and still fails if they run on.
        for (PackagedService worker : workers) {
            await().atMost(Duration.ofSeconds(45)).until(() -> worker.metric("mmgpt_inference_sequences") == 0);
        }
    }

    /** A gateway in the production profile with no key configured serves nothing: API keys are on by default. */
    @Test
    @Order(7)
    void aProductionGatewayWithoutKeysRefusesEveryServingRequest() throws Exception {
        PackagedService open = Service.start("gateway-no-keys", "gateway", Map.of("kafka.bootstrap.servers",
                EmbeddedKafka.bootstrapServers(), "mmgpt.storage.root", STORAGE.toString()), LOGS);
        try {
            open.awaitReady(Duration.ofSeconds(120));
            HttpResponse<String> models = HTTP.send(HttpRequest.newBuilder(URI.create(open.url() + "/v1/models"))
                    .header("Authorization", "Bearer anything").build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(401, models.statusCode(), models.body());
            JsonNode error = JSON.readTree(models.body()).path("error");
            assertEquals("invalid_api_key", error.path("code").asText(), models.body());
            assertTrue(error.path("message").asText().contains("requires API keys but none is configured"), models.body());
            HttpResponse<String> chat = HTTP.send(HttpRequest.newBuilder(URI.create(open.url() + "/chat"))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"message\": \"hi\"}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(401, chat.statusCode(), chat.body());
        } finally {
            open.stop();
        }
    }

    /** Submits a batch-inference job, waits for it, returns the first answer it wrote. */
    private static String batchJob(Map<String, Object> params) throws Exception {
        HttpResponse<String> created = post(gateways.get(0), "/v1/jobs", Map.of("type", "batch-inference", "params", params));
        assertEquals(201, created.statusCode(), created.body());
        String id = JSON.readTree(created.body()).path("id").asText();
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500)).until(() ->
                JSON.readTree(get(gateways.get(0), "/v1/jobs/" + id)).path("state").asText().matches("SUCCEEDED|FAILED"));
        JsonNode job = JSON.readTree(get(gateways.get(0), "/v1/jobs/" + id));
        assertEquals("SUCCEEDED", job.path("state").asText(), job.toString());
        Path output = STORAGE.resolve(job.path("artifacts").get(0).asText());
        return JSON.readTree(Files.readAllLines(output, StandardCharsets.UTF_8).get(0)).path("Output").asText();
    }

    /** Runs ./mmgpt with {@code stdin} (may be null); returns its standard output; fails on a non-zero exit. */
    private static String mmgpt(String stdin, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("bash", RepoRoot.path().resolve("mmgpt").toString()));
        command.addAll(List.of(args));
        Path out = Files.createTempFile("mmgpt", ".out");
        ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(out.toFile())
                .redirectError(LOGS.resolve("mmgpt-" + args[0] + ".err").toFile());
        builder.environment().put("OMP_WAIT_POLICY", "PASSIVE");
        Process p = builder.start();
        try (var in = p.getOutputStream()) {
            if (stdin != null) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
        }
        assertTrue(p.waitFor(180, TimeUnit.SECONDS), "mmgpt " + args[0] + " finished");
        String text = Files.readString(out, StandardCharsets.UTF_8);
        Files.delete(out);
        assertEquals(0, p.exitValue(), "mmgpt " + String.join(" ", args) + ":\n" + text);
        return text;
    }

    private static HttpResponse<String> post(PackagedService gateway, String path, Object body)
            throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create(gateway.url() + path))
                .header("Authorization", "Bearer " + KEY).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static String get(PackagedService gateway, String path) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create(gateway.url() + path))
                .header("Authorization", "Bearer " + KEY).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    private static JsonNode read(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static String[] concat(String[] a, String[] b) {
        String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }
}
