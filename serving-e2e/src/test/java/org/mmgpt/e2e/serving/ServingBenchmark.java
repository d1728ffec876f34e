package org.mmgpt.e2e.serving;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.mmgpt.engine.Djl;
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
 * The serving benchmark (run by scripts/bench-serving.sh; not a test): the tiny model served by one
 * packaged gateway and one packaged inference worker over an in-process broker, against the engine
 * called directly in this JVM, both on one compute thread, greedy.
 *
 * <ul>
 *   <li>aggregate tokens/s of 1, 4 and 8 concurrent streams (each client asks for 3 answers of 64
 *       tokens, back to back), and their time to first token;</li>
 *   <li>the latency of a short unstreamed answer (1 and 8 tokens) through gateway + Kafka + worker, against
 *       the engine alone doing the same work (template, tokenizer, prefill, decode): the difference is
 *       what the hop adds.</li>
 * </ul>
 */
public final class ServingBenchmark {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final String MODEL = "models/tiny";
    private static final String QUESTION = "What is a fever?";
    private static final int STREAM_TOKENS = 64;
    private static final int ANSWERS_PER_CLIENT = 3;
    /** Short unstreamed answers: 1 token (prefill only: the hop against the least work) and 8. */
    private static final int[] SHORT_TOKENS = {1, 8};
    private static final int LATENCY_RUNS = 50;
    /**
     * Short answers asked before any latency is measured, 8 at a time. The engine's work is native and
     * warm after a few runs, the hop's is Java (HTTP, Jackson, the Kafka clients and broker) that the
     * JIT compiles only after thousands of calls: with 5 warm-up runs the hop measured ~30 ms, every
     * stage of it slow, against ~2-4 ms once warm. A server that has been up a while is warm.
     */
    private static final int WARM_UP_REQUESTS = 2000;

    private ServingBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Djl.setThreads(1);
        Path storage = Path.of("serving-e2e/target/bench-storage").toAbsolutePath();
        Path model = storage.resolve(MODEL);
        if (!Files.exists(model.resolve("config.json"))) {
            System.err.println("writing the tiny model to " + model + " ...");
            NewModel.qwen2("tiny", RepoRoot.path().resolve("models/qwen2.5-tokenizer"), 1).write(model);
        }
        String kafka = EmbeddedKafka.bootstrapServers();
        TopicProvisioner.ensure(Map.of("bootstrap.servers", kafka), Map.of(), Duration.ofSeconds(30));
        Map<String, String> common = Map.of("kafka.bootstrap.servers", kafka, "mmgpt.storage.root", storage.toString());
        Path logs = Path.of("serving-e2e/target/bench-logs").toAbsolutePath();
        Map<String, String> workerProps = new java.util.HashMap<>(common);
        workerProps.putAll(Map.of("mmgpt.inference.preload", MODEL, "mmgpt.inference.max-batch-size", "16"));
        Map<String, String> gatewayProps = new java.util.HashMap<>(common);
        gatewayProps.put("mmgpt.serving.api-keys-required", "false");
        PackagedService worker = Service.start("bench-worker", "inference-worker", workerProps, logs);
        PackagedService gateway = Service.start("bench-gateway", "gateway", gatewayProps, logs);
        try {
            worker.awaitReady(Duration.ofSeconds(180));
            gateway.awaitReady(Duration.ofSeconds(180));
            run(model, gateway);
        } finally {
            gateway.stop();
            worker.stop();
        }
        System.exit(0); // the in-process broker's threads would keep the JVM alive
    }

    private static void run(Path model, PackagedService gateway) throws Exception {
        StringBuilder table = new StringBuilder(String.format("%n| %-52s | %12s |%n|%s|%s|%n", "tiny model, 1 thread, greedy",
                "value", "-".repeat(54), "-".repeat(14)));
        Map<Integer, List<Double>> direct = new java.util.TreeMap<>();
        Map<Integer, List<Double>> served = new java.util.TreeMap<>();
        try (LanguageModel lm = LanguageModel.load(model, null)) {
            ChatTemplate template = lm.template(null); // the worker, too, builds a model's template once
            warmUp(gateway);
            // Alternated, so that whatever else runs on the machine weighs on both alike.
            for (int tokens : SHORT_TOKENS) {
                direct.put(tokens, new ArrayList<>());
                served.put(tokens, new ArrayList<>());
                for (int i = 0; i < LATENCY_RUNS + 5; i++) {
                    double d = directLatency(lm, template, tokens);
                    double s = servedLatency(gateway, tokens);
                    if (i >= 5) {
                        direct.get(tokens).add(d);
                        served.get(tokens).add(s);
                    }
                }
            }
            for (int c : new int[] {1, 4, 8}) {
                table.append(row("engine alone: tokens/s, " + c + " sequences together", directTokensPerSecond(lm, c)));
            }
        }
        double oneStream = 0;
        for (int c : new int[] {1, 4, 8}) {
            Streams s = streams(gateway, c);
            oneStream = c == 1 ? s.tokensPerSecond : oneStream;
            table.append(row("served: tokens/s, " + c + " concurrent streams", s.tokensPerSecond));
            table.append(row("  time to first token p50 / p90, ms", s.ttftP50, s.ttftP90));
            if (c > 1) {
                table.append(row("  " + c + " streams / 1 stream", s.tokensPerSecond / oneStream));
            }
        }
        for (int tokens : SHORT_TOKENS) {
            double d50 = percentile(direct.get(tokens), 50);
            double s50 = percentile(served.get(tokens), 50);
            table.append(row("engine alone: " + tokens + "-token answer p50 / p90, ms", d50,
                    percentile(direct.get(tokens), 90)));
            table.append(row("served, unstreamed: " + tokens + "-token answer p50 / p90, ms", s50,
                    percentile(served.get(tokens), 90)));
            table.append(row("  gateway + Kafka hop p50, ms", s50 - d50));
        }
        System.out.println(table);
    }

    private static String row(String what, double... values) {
        StringBuilder v = new StringBuilder();
        for (double x : values) {
            v.append(v.length() == 0 ? "" : " / ").append(String.format("%.1f", x));
        }
        return String.format("| %-52s | %12s |%n", what, v);
    }

    /** {@link #WARM_UP_REQUESTS} short unstreamed answers, 8 clients at once. */
    private static void warmUp(PackagedService gateway) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<Double>> answers = new ArrayList<>();
        for (int i = 0; i < WARM_UP_REQUESTS; i++) {
            answers.add(pool.submit(() -> servedLatency(gateway, 1)));
        }
        for (Future<Double> f : answers) {
            f.get();
        }
        pool.shutdown();
    }

    /**
     * The engine alone: the same short answer as {@link #servedLatency}, timed from the messages to the
     * text (chat template rendered, tokenized, prefilled, decoded, detokenized), as the worker does it.
     */
    private static double directLatency(LanguageModel lm, ChatTemplate template, int tokens) {
        long t0 = System.nanoTime();
        SamplingParams params = lm.defaults().maxNewTokens(tokens).sampling(0f, null, null)
                .stopStrings(template.stopStrings()).build();
        Sequence seq = lm.sequence(lm.chatPrompt(template, List.of(ChatMessage.user(QUESTION))), params, null);
        Generator.run(lm.model(), List.of(seq));
        seq.text();
        return (System.nanoTime() - t0) / 1e6;
    }

    private static double directTokensPerSecond(LanguageModel lm, int n) {
        ChatTemplate template = lm.template(null);
        List<Sequence> seqs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            SamplingParams params = lm.defaults().maxNewTokens(STREAM_TOKENS).sampling(0f, null, null).build();
            seqs.add(lm.sequence(lm.chatPrompt(template, List.of(ChatMessage.user(QUESTION + " " + i))), params, null));
        }
        long t0 = System.nanoTime();
        Generator.run(lm.model(), seqs);
        long tokens = seqs.stream().mapToLong(Sequence::generatedCount).sum();
        return tokens / ((System.nanoTime() - t0) / 1e9);
    }

    private static double servedLatency(PackagedService gateway, int tokens) throws Exception {
        long t0 = System.nanoTime();
        HttpResponse<String> r = HTTP.send(post(gateway, Map.of("model", MODEL, "temperature", 0,
                "max_tokens", tokens, "messages", List.of(Map.of("role", "user", "content", QUESTION)))),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IllegalStateException(r.body());
        }
        return (System.nanoTime() - t0) / 1e6;
    }

    private record Streams(double tokensPerSecond, double ttftP50, double ttftP90) {
    }

    /** {@code clients} threads, each streaming answers back to back. */
    private static Streams streams(PackagedService gateway, int clients) throws Exception {
        streamOnce(gateway, 0, 0); // warm-up
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        List<Double> ttft = Collections.synchronizedList(new ArrayList<>());
        long t0 = System.nanoTime();
        List<Future<Integer>> tokens = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            int client = c;
            tokens.add(pool.submit(() -> {
                int sum = 0;
                for (int r = 0; r < ANSWERS_PER_CLIENT; r++) {
                    double[] result = streamOnce(gateway, client, r);
                    ttft.add(result[0]);
                    sum += (int) result[1];
                }
                return sum;
            }));
        }
        int total = 0;
        for (Future<Integer> f : tokens) {
            total += f.get();
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        pool.shutdown();
        return new Streams(total / seconds, percentile(ttft, 50), percentile(ttft, 90));
    }

    /** One streamed answer: {time to its first text in ms, completion tokens}. */
    private static double[] streamOnce(PackagedService gateway, int client, int request) throws Exception {
        long t0 = System.nanoTime();
        HttpResponse<Stream<String>> r = HTTP.send(post(gateway, Map.of("model", MODEL, "temperature", 0,
                "max_tokens", STREAM_TOKENS, "stream", true, "stream_options", Map.of("include_usage", true),
                "messages", List.of(Map.of("role", "user",
                        "content", QUESTION + " (client " + client + ", answer " + request + ")")))),
                HttpResponse.BodyHandlers.ofLines());
        double first = -1;
        int completion = 0;
        try (Stream<String> lines = r.body()) {
            for (String line : (Iterable<String>) lines::iterator) {
                if (!line.startsWith("data: {")) {
                    continue;
                }
                JsonNode chunk = JSON.readTree(line.substring(6));
                if (first < 0 && !chunk.path("choices").path(0).path("delta").path("content").asText("").isEmpty()) {
                    first = (System.nanoTime() - t0) / 1e6;
                }
                if (chunk.path("usage").has("completion_tokens")) {
                    completion = chunk.path("usage").path("completion_tokens").asInt();
                }
            }
        }
        return new double[] {first, completion};
    }

    private static HttpRequest post(PackagedService gateway, Object body) throws Exception {
        return HttpRequest.newBuilder(URI.create(gateway.url() + "/v1/chat/completions"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))).build();
    }

    private static double percentile(List<Double> values, int p) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.floor(p / 100.0 * sorted.size())));
    }
}
