package org.mmgpt.e2e.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.mmgpt.engine.model.NewModel;
import org.mmgpt.protocol.topics.TopicProvisioner;
import org.mmgpt.testsupport.EmbeddedKafka;
import org.mmgpt.testsupport.RepoRoot;

/**
 * {@code bash scripts/serve.sh --model DIR --port P --workers N} as a user runs it: it prints the base
 * URL once the gateway and every worker are ready, the model answers there (without keys: the local
 * profile), and Ctrl-C (SIGINT to the script and every process of its job, as a terminal sends it) or
 * SIGTERM (to the script alone, as a supervisor sends it) stops every process it started and frees
 * every port. The
 * broker here is one already listening on KAFKA_PORT, which the script must use and leave running.
 */
class ServeScriptTest {

    private static final Path STORAGE = Path.of("target/serve-storage").toAbsolutePath();
    private static final Path LOGS = Path.of("target/e2e-logs").toAbsolutePath();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static Path model;
    private static int kafkaPort;

    @BeforeAll
    static void setUp() throws Exception {
        model = STORAGE.resolve("micro-chat");
        if (!Files.exists(model.resolve("config.json"))) {
            NewModel.qwen2("micro", RepoRoot.path().resolve("models/qwen2.5-tokenizer"), 11).write(model);
        }
        String kafka = EmbeddedKafka.bootstrapServers();
        TopicProvisioner.ensure(Map.of("bootstrap.servers", kafka), Map.of(), Duration.ofSeconds(30));
        kafkaPort = Integer.parseInt(kafka.substring(kafka.lastIndexOf(':') + 1));
    }

    @Test
    void ctrlCStopsTheGatewayAndBothWorkers() throws Exception {
        serveThenStop(2, "INT", true, 130);
    }

    @Test
    void sigtermToTheScriptAloneStopsEverythingItStarted() throws Exception {
        serveThenStop(1, "TERM", false, 143);
    }

    private static void serveThenStop(int workers, String signal, boolean wholeGroup, int exitCode) throws Exception {
        int port = freePorts(workers + 1);
        Files.createDirectories(LOGS);
        Path out = LOGS.resolve("serve-sh-" + signal + ".out");
        ProcessBuilder builder = new ProcessBuilder("bash", RepoRoot.path().resolve("scripts/serve.sh").toString(),
                "--model", model.toString(), "--port", String.valueOf(port), "--workers", String.valueOf(workers))
                .directory(RepoRoot.path().toFile()).redirectErrorStream(true).redirectOutput(out.toFile());
        builder.environment().put("KAFKA_PORT", String.valueOf(kafkaPort));
        builder.environment().remove("MMGPT_API_KEYS");
        Process script = builder.start();
        List<ProcessHandle> started = List.of();
        try {
            String base = "http://127.0.0.1:" + port;
            awaitOutput(script, out, "base URL: " + base + "/v1", Duration.ofSeconds(240));
            started = script.descendants().filter(p -> p.info().command().orElse("").endsWith("java")).toList();
            assertEquals(workers + 1, started.size(), "a gateway and " + workers + " worker(s): " + started);

            JsonNode models = JSON.readTree(get(base + "/v1/models"));
            assertEquals("micro-chat", models.path("data").get(0).path("id").asText(), models.toString());
            HttpResponse<String> chat = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/chat"))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"message\": \"Hi\", \"max_tokens\": 4}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, chat.statusCode(), chat.body());
            assertTrue(JSON.readTree(chat.body()).path("finish_reason").asText().matches("length|stop"), chat.body());

            // A terminal's Ctrl-C reaches every process of the foreground job: the script and its children.
            List<String> kill = new java.util.ArrayList<>(List.of("kill", "-" + signal, String.valueOf(script.pid())));
            if (wholeGroup) {
                started.forEach(p -> kill.add(String.valueOf(p.pid())));
            }
            assertEquals(0, new ProcessBuilder(kill).inheritIO().start().waitFor(), String.join(" ", kill));
            assertTrue(script.waitFor(90, TimeUnit.SECONDS), "serve.sh stopped within 90 s:\n" + Files.readString(out));
        } finally {
            if (script.isAlive()) {
                script.descendants().forEach(ProcessHandle::destroyForcibly);
                script.destroyForcibly();
            }
        }
        assertEquals(exitCode, script.exitValue(), Files.readString(out));
        for (ProcessHandle p : started) {
            assertFalse(p.isAlive(), "still running after serve.sh stopped: " + p.pid() + " " + p.info().commandLine());
        }
        for (int p = port; p <= port + workers; p++) {
            assertFalse(listening(p), "port " + p + " still open");
        }
        assertTrue(listening(kafkaPort), "the broker it did not start is left running");
    }

    private static void awaitOutput(Process script, Path out, String line, Duration timeout) throws Exception {
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end) {
            String text = Files.readString(out, StandardCharsets.UTF_8);
            if (text.contains(line)) {
                return;
            }
            if (!script.isAlive()) {
                throw new AssertionError("serve.sh exited with " + script.exitValue() + ":\n" + text);
            }
            Thread.sleep(250);
        }
        throw new AssertionError("no '" + line + "' within " + timeout.toSeconds() + " s:\n" + Files.readString(out));
    }

    private static String get(String url) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    private static boolean listening(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** A port with the next {@code count - 1} ports free too (the script puts workers on PORT+1..PORT+N). */
    private static int freePorts(int count) throws IOException {
        for (int attempt = 0; attempt < 50; attempt++) {
            int first;
            try (ServerSocket s = new ServerSocket(0)) {
                first = s.getLocalPort();
            }
            boolean free = first + count < 65_536;
            for (int p = first; free && p < first + count; p++) {
                free = !listening(p);
            }
            if (free) {
                return first;
            }
        }
        throw new IllegalStateException("no " + count + " consecutive free ports");
    }
}
