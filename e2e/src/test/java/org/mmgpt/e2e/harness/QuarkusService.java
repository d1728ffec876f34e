package org.mmgpt.e2e.harness;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One packaged service ({@code <module>/target/quarkus-app/quarkus-run.jar}) in a process of its own,
 * configured by system properties as an operator would: broker address, storage root, HTTP port. Its
 * port is fixed when it is made, so a restarted service is found where it was.
 */
public final class QuarkusService {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final String name;
    private final int port;
    private final ManagedProcess process;

    /**
     * @param name       the instance's name (its log file and worker id)
     * @param module     gateway, trainer-worker, merger or inference-worker
     * @param properties system properties, on top of those every service gets
     * @param jvmOptions heap and other JVM options
     */
    public QuarkusService(Path root, String name, String module, Map<String, String> properties, List<String> jvmOptions,
            Path log) {
        Path jar = root.resolve(module).resolve("target/quarkus-app/quarkus-run.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("no packaged " + module + " at " + jar
                    + ": package it first (mvn -pl e2e -am verify does)");
        }
        this.name = name;
        this.port = Net.freePort();
        Map<String, String> all = new LinkedHashMap<>();
        all.put("ai.djl.offline", "true");
        all.put("quarkus.http.port", Integer.toString(port));
        all.putAll(properties);
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        all.forEach((key, value) -> command.add("-D" + key + "=" + value));
        command.add("-jar");
        command.add(jar.toString());
        this.process = new ManagedProcess(name, command, Map.of("OMP_WAIT_POLICY", "PASSIVE"), root, log);
    }

    public String name() {
        return name;
    }

    public URI uri() {
        return URI.create("http://127.0.0.1:" + port);
    }

    public ManagedProcess process() {
        return process;
    }

    public void start() {
        process.start();
    }

    /** Waits until /q/health/ready answers 200; fails at once if the process exits meanwhile. */
    public void awaitReady(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!ready()) {
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " exited while starting:\n" + process.logTail(40));
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(name + " not ready within " + timeout + ":\n" + process.logTail(40));
            }
            Waits.sleep(Duration.ofMillis(250));
        }
    }

    public boolean ready() {
        return health("ready").map(h -> h.startsWith("200 ")).orElse(false);
    }

    /**
     * {@code /q/health/<kind>} (live, ready, or "" for both): "STATUS BODY", or empty when the
     * service does not answer.
     */
    public Optional<String> health(String kind) {
        try {
            HttpRequest request = HttpRequest.newBuilder(uri().resolve("/q/health/" + kind))
                    .timeout(Duration.ofSeconds(2)).build();
            HttpResponse<String> response = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
            return Optional.of(response.statusCode() + " " + response.body());
        } catch (java.io.IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    /** SIGTERM, SIGKILL after the grace period. */
    public void stop(Duration grace) {
        process.stop(grace);
    }

    /** SIGKILL. */
    public void kill() {
        process.kill();
    }

    @Override
    public String toString() {
        return process + " on " + uri();
    }
}
