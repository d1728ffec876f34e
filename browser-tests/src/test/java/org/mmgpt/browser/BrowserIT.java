package org.mmgpt.browser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.mmgpt.engine.model.NewModel;
import org.mmgpt.testsupport.EmbeddedKafka;
import org.mmgpt.testsupport.PackagedService;
import org.mmgpt.testsupport.RepoRoot;

/**
 * The web pages in a real browser against the real system: a KRaft broker, the packaged gateway,
 * trainer and merger (and the inference worker for the chat page and a batch-inference job), a
 * storage root with a micro model and the project's demo data. The browser side is web/e2e (node's
 * test runner driving Debian's Chromium through playwright-core); screenshots go to
 * target/screenshots.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BrowserIT {

    private static final Duration START = Duration.ofSeconds(120);
    private static final Path CHROMIUM = Path.of(System.getenv().getOrDefault("CHROMIUM", "/usr/bin/chromium"));
    /**
     * The pages are used with an API key, entered in their API key dialog: the gateway is given it
     * in MMGPT_API_KEYS (the variable deploy/ sets from its Secret), and every call must carry it.
     */
    private static final String API_KEY = "browser-test-key";
    private static Path repo;
    private static Path storage;
    private static Map<String, String> common;
    private static final List<PackagedService> services = new ArrayList<>();
    private static PackagedService gateway;
    private static PackagedService inferenceWorker;

    @BeforeAll
    static void startTheSystem() throws Exception {
        repo = RepoRoot.path();
        assertTrue(Files.isExecutable(CHROMIUM), CHROMIUM + " is missing: install Debian's chromium "
                + "(apt-get install -y chromium; scripts/test.sh does it when it can)");
        assertTrue(Files.isDirectory(repo.resolve("web/node_modules/playwright-core")),
                "web/node_modules is missing: build the web module first (mvn verify builds it before this one)");
        storage = prepareStorage();
        common = Map.of(
                "KAFKA_BOOTSTRAP_SERVERS", EmbeddedKafka.bootstrapServers(),
                "MMGPT_STORAGE", storage.toString(),
                // progress several times a second, so that a job of a few seconds draws a curve
                "MMGPT_WORKER_PROGRESS_INTERVAL", "300ms");
        int gatewayPort = PackagedService.freePort();
        gateway = start("gateway", gatewayPort, "512m", Map.of("MMGPT_PORT", String.valueOf(gatewayPort),
                "MMGPT_API_KEYS", API_KEY));
        int trainerPort = PackagedService.freePort();
        // two jobs at once: the pipeline's stages and the other jobs of the test share the trainer
        start("trainer-worker", trainerPort, "1g", Map.of("MMGPT_TRAINER_PORT", String.valueOf(trainerPort),
                "MMGPT_WORKER_MAX_CONCURRENT_JOBS", "2"));
        int mergerPort = PackagedService.freePort();
        start("merger", mergerPort, "1g", Map.of("MMGPT_MERGER_PORT", String.valueOf(mergerPort)));
        for (PackagedService s : services) {
            s.awaitReady(START);
        }
    }

    @AfterAll
    static void stopTheSystem() throws InterruptedException {
        for (PackagedService s : services) {
            s.stop();
        }
    }

    @Test
    @Order(0)
    void theFrameAndTheChatPageOnAnyGateway() throws Exception {
        runE2e("shell.e2e.mjs", Map.of());
    }

    @Test
    @Order(1)
    void jobsDashboard() throws Exception {
        runE2e("jobs.e2e.mjs", Map.of());
    }

    @Test
    @Order(2)
    void chatPage() throws Exception {
        int models = gateway.status("/v1/models");
        Assumptions.assumeTrue(models != 404, "The gateway has no chat API yet (GET /v1/models answers 404; "
                + "issue 5 adds it): the chat page's browser test did not run.");
        startInferenceWorker();
        runE2e("chat.e2e.mjs", Map.of());
    }

    @Test
    @Order(3)
    void batchInferenceJob() throws Exception {
        startInferenceWorker();
        // the browser side reads the answers file the job wrote, as a user of the storage would
        runE2e("batch.e2e.mjs", Map.of("MMGPT_E2E_STORAGE", storage.toString(), "MMGPT_E2E_QUERIES", "data/queries.jsonl"));
    }

    /** The inference worker, for the chat page and batch-inference jobs: started once, when first needed. */
    private static void startInferenceWorker() throws IOException, InterruptedException {
        if (inferenceWorker == null) {
            int port = PackagedService.freePort();
            inferenceWorker = start("inference-worker", port, "1g", Map.of("MMGPT_INFERENCE_PORT", String.valueOf(port)));
            inferenceWorker.awaitReady(START);
        }
    }

    private static PackagedService start(String module, int port, String heap, Map<String, String> env) throws IOException {
        Map<String, String> all = new HashMap<>(common);
        all.putAll(env);
        PackagedService s = PackagedService.start(repo, module, module, port,
                List.of("-Xmx" + heap, "-Dai.djl.pytorch.num_interop_threads=1"), all,
                Path.of("target/logs").toAbsolutePath().resolve(module + ".log"));
        services.add(s);
        return s;
    }

    /** Runs one file of web/e2e against the gateway; its report goes to the build log and target/e2e-*.log. */
    private static void runE2e(String file, Map<String, String> env) throws IOException, InterruptedException {
        Path shots = Files.createDirectories(Path.of("target/screenshots").toAbsolutePath());
        Path log = Path.of("target").toAbsolutePath().resolve("e2e-" + file.replace(".e2e.mjs", "") + ".log");
        ProcessBuilder node = new ProcessBuilder("node", "--test", "--test-reporter=spec", "--test-concurrency=1",
                "e2e/" + file)
                .directory(repo.resolve("web").toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        node.environment().put("MMGPT_URL", gateway.url() + "/");
        node.environment().put("MMGPT_SCREENSHOTS", shots.toString());
        node.environment().put("MMGPT_E2E_MODEL", "models/micro");
        node.environment().put("MMGPT_E2E_BAD_DATA", "data/bad-sft");
        node.environment().put("MMGPT_E2E_API_KEY", API_KEY);
        node.environment().put("CHROMIUM", CHROMIUM.toString());
        node.environment().putAll(env);
        Process process = node.start();
        boolean ended = process.waitFor(8, TimeUnit.MINUTES);
        if (!ended) {
            process.destroyForcibly().waitFor();
        }
        String report = Files.readString(log);
        System.out.println(report);
        StringBuilder logs = new StringBuilder();
        if (!ended || process.exitValue() != 0) {
            for (PackagedService s : services) {
                logs.append("\n--- ").append(s.name()).append(" (").append(s.log()).append(") ---\n").append(s.tail(40));
            }
        }
        assertTrue(ended, file + " did not finish in 8 minutes:\n" + report + logs);
        assertEquals(0, process.exitValue(), file + " failed:\n" + report + logs);
    }

    /**
     * A fresh storage root: a micro model with the Qwen2.5 tokenizer, the demo data, one malformed
     * file, and three queries for a batch-inference job (both line forms the seed's inference.py reads).
     */
    private static Path prepareStorage() throws IOException {
        Path root = Path.of("target/browser-storage").toAbsolutePath();
        if (Files.exists(root)) {
            try (Stream<Path> old = Files.walk(root)) {
                for (Path p : old.sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList()) {
                    Files.delete(p);
                }
            }
        }
        NewModel.qwen2("micro", repo.resolve("models/qwen2.5-tokenizer"), 1).write(root.resolve("models/micro"));
        for (String data : new String[] {"pretrain", "finetune", "reward"}) {
            copyFiles(repo.resolve("data").resolve(data), root.resolve("data").resolve(data));
        }
        Path bad = Files.createDirectories(root.resolve("data/bad-sft"));
        Files.writeString(bad.resolve("a.jsonl"), """
                {"conversations": [{"from": "human", "value": "hi"}, {"from": "gpt", "value": "hello"}]}
                {"conversations": [{"from": "human", "value": "broken"
                """);
        Files.writeString(root.resolve("data/queries.jsonl"), """
                {"query": "What is a fever?"}
                {"query": "How much water should an adult drink a day?"}
                {"messages": [{"role": "system", "content": "You are a doctor."}, {"role": "user", "content": "What helps a headache?"}]}
                """);
        return root;
    }

    private static void copyFiles(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                Files.copy(f, to.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

}
