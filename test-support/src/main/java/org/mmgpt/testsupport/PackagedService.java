package org.mmgpt.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
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
import java.util.concurrent.TimeUnit;

/**
 * A packaged service ({@code <module>/target/quarkus-app/quarkus-run.jar}) in a JVM of its own, as it
 * runs in production, with its output in a log file; stopped by its own PID. The caller configures it
 * as an operator would: JVM options (heap, system properties) or environment variables, and the HTTP
 * port through either.
 */
public final class PackagedService {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final Duration STOP_GRACE = Duration.ofSeconds(20);

    private final String name;
    private final int port;
    private final Path log;
    private final Process process;

    private PackagedService(String name, int port, Path log, Process process) {
        this.name = name;
        this.port = port;
        this.log = log;
        this.process = process;
    }

    /**
     * Starts the module's packaged application in {@code repo}, offline, with libgomp's idle threads
     * asleep and one OpenMP thread.
     *
     * @param port       the HTTP port that {@code jvmOptions} or {@code env} give the service
     * @param jvmOptions heap, system properties and other options, before {@code -jar}
     * @param env        environment variables on top of this JVM's
     */
    public static PackagedService start(Path repo, String module, String name, int port, List<String> jvmOptions,
            Map<String, String> env, Path log) throws IOException {
        Path jar = repo.resolve(module).resolve("target/quarkus-app/quarkus-run.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: package the services first"
                    + " (mvn verify builds them before the modules that run them)");
        }
        List<String> command = new ArrayList<>();
        command.add(java());
        command.add("-Dai.djl.offline=true");
        command.addAll(jvmOptions);
        command.addAll(List.of("-jar", jar.toString()));
        Map<String, String> environment = new LinkedHashMap<>();
        environment.put("OMP_WAIT_POLICY", "PASSIVE");
        environment.put("OMP_NUM_THREADS", "1");
        environment.putAll(env);
        return run(name, command, repo, environment, port, log);
    }

    /**
     * Runs {@code command} exactly as given (a container's entrypoint, say) in {@code dir}, with
     * {@code env} on top of this JVM's environment; the service answers HTTP on {@code port}.
     */
    public static PackagedService run(String name, List<String> command, Path dir, Map<String, String> env, int port,
            Path log) throws IOException {
        Files.createDirectories(log.getParent());
        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        builder.environment().putAll(env);
        return new PackagedService(name, port, log, builder.start());
    }

    /** The java launcher of the JVM running the tests. */
    public static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    public static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String name() {
        return name;
    }

    public Path log() {
        return log;
    }

    /** {@code http://127.0.0.1:<port>}, no trailing slash. */
    public String url() {
        return "http://127.0.0.1:" + port;
    }

    /** The status of a GET of {@code path} (starting with /) on this service, or -1 when nothing answers. */
    public int status(String path) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create(url() + path)).timeout(Duration.ofSeconds(5)).GET().build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** Waits until /q/health/ready answers 200; see {@link #awaitOk}. */
    public PackagedService awaitReady(Duration limit) throws InterruptedException {
        return awaitOk("/q/health/ready", limit);
    }

    /** Waits until a GET of {@code path} answers 200; fails with the end of the log if the process dies or never gets there. */
    public PackagedService awaitOk(String path, Duration limit) throws InterruptedException {
        long end = System.nanoTime() + limit.toNanos();
        int last = -1;
        while (System.nanoTime() < end) {
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " exited with " + process.exitValue() + ":\n" + tail(40));
            }
            last = status(path);
            if (last == 200) {
                return this;
            }
            Thread.sleep(250);
        }
        throw new IllegalStateException(name + " " + path + " answered " + last + " after " + limit + ":\n" + tail(40));
    }

    /** The last {@code lines} lines of the log. */
    public String tail(int lines) {
        try {
            List<String> all = Files.readAllLines(log);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(cannot read " + log + ": " + e.getMessage() + ")";
        }
    }

    /** A Prometheus value of /q/metrics (the first line starting with {@code metricName}), or -1. */
    public double metric(String metricName) throws IOException, InterruptedException {
        String body = HTTP.send(HttpRequest.newBuilder(URI.create(url() + "/q/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        return body.lines().filter(l -> l.startsWith(metricName + " ") || l.startsWith(metricName + "{"))
                .findFirst().map(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).orElse(-1.0);
    }

    /** SIGTERM, as Kubernetes stops a pod; SIGKILL if it is still there 20 s later. */
    public void stop() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(STOP_GRACE.toSeconds(), TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
