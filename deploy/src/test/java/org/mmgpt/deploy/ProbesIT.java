package org.mmgpt.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.mmgpt.testsupport.EmbeddedKafka;

/**
 * Every probe of the dev overlay answers on the service it probes. Each Deployment's container is
 * run the way its image runs it (the ENTRYPOINT of images/Dockerfile.jvm on the module's packaged
 * application) with the environment the manifests give it; only what a cluster would provide is
 * replaced: Kafka by an in-process broker, each volume by a local directory, and the port by a free
 * one (the services would share this machine's ports).
 */
class ProbesIT {

    private static final Duration START = Duration.ofSeconds(150);
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final List<Running> running = new ArrayList<>();

    record Running(String name, Process process, int port, Container container, Path log) {
    }

    @BeforeAll
    static void startEveryServiceAsTheManifestsConfigureIt() throws Exception {
        Manifests dev = Manifests.of("overlays/dev");
        List<String> entrypoint = ImagesTest.dockerfile("Dockerfile.jvm").entrypoint();
        String workdir = ImagesTest.dockerfile("Dockerfile.jvm").one("WORKDIR");
        Path root = Files.createDirectories(Path.of("target/probes").toAbsolutePath());
        String kafka = EmbeddedKafka.bootstrapServers();
        for (Deployment d : dev.all(Deployment.class)) {
            String name = d.getMetadata().getName();
            Container c = Manifests.container(d);
            Map<String, String> env = new LinkedHashMap<>(ServiceConfigTest.environment(dev, c));
            // secrets: the dev overlay's own
            for (var e : c.getEnv()) {
                if (e.getValueFrom() != null && e.getValueFrom().getSecretKeyRef() != null) {
                    var ref = e.getValueFrom().getSecretKeyRef();
                    env.put(e.getName(), dev.named(Secret.class, ref.getName()).getStringData().get(ref.getKey()));
                }
            }
            env.put("KAFKA_BOOTSTRAP_SERVERS", kafka);
            Map<String, Path> mounts = volumes(d, root.resolve(name));
            env.replaceAll((k, v) -> local(v, mounts));
            int port = freePort();
            ServiceConfig service = ServiceConfig.of(name);
            assertEquals(service.httpPort(env), c.getPorts().get(0).getContainerPort(), name);
            env.put(service.portVariable(), String.valueOf(port));

            List<String> command = new ArrayList<>();
            command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            // the image's command line, its application directory replaced by the module's packaged one
            Path app = Manifests.REPO.resolve(name).resolve("target/quarkus-app");
            assertTrue(Files.isRegularFile(app.resolve("quarkus-run.jar")), app + ": package the services first");
            for (String arg : entrypoint.subList(1, entrypoint.size())) {
                command.add(arg.replace(workdir, app.toString()).replace("-XX:MaxRAMPercentage=75", "-Xmx1g"));
            }
            Path log = root.resolve(name + ".log");
            ProcessBuilder pb = new ProcessBuilder(command).directory(root.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
            pb.environment().putAll(env);
            running.add(new Running(name, pb.start(), port, c, log));
        }
    }

    /** Where each mounted volume lies on this machine: a fresh directory, but the machine's warm DJL cache. */
    private static Map<String, Path> volumes(Deployment d, Path base) throws IOException {
        Map<String, Path> mounts = new HashMap<>();
        for (VolumeMount m : Manifests.container(d).getVolumeMounts()) {
            Volume v = d.getSpec().getTemplate().getSpec().getVolumes().stream().filter(x -> x.getName().equals(m.getName())).findFirst().orElseThrow();
            Path local = v.getEmptyDir() != null && m.getName().equals("djl-cache")
                    ? Path.of(System.getProperty("user.home"), ".djl.ai") // an emptyDir; DJL fills it at start either way
                    : base.resolve(m.getName());
            mounts.put(m.getMountPath(), Files.createDirectories(local));
        }
        return mounts;
    }

    private static String local(String value, Map<String, Path> mounts) {
        for (var m : mounts.entrySet()) {
            if (value.equals(m.getKey()) || value.startsWith(m.getKey() + "/")) {
                return m.getValue() + value.substring(m.getKey().length());
            }
        }
        return value;
    }

    @AfterAll
    static void stop() throws InterruptedException {
        for (Running r : running) {
            r.process().destroy();
        }
        for (Running r : running) {
            if (!r.process().waitFor(20, TimeUnit.SECONDS)) {
                r.process().destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void everyProbeAndTheMetricsPathAnswerOnTheServiceTheyProbe() throws Exception {
        for (Running r : running) {
            // as the kubelet does: the startup probe first, then liveness and readiness
            awaitOk(r, r.container().getStartupProbe());
            awaitOk(r, r.container().getLivenessProbe());
            awaitOk(r, r.container().getReadinessProbe());
            assertEquals(200, status(r, "/q/metrics"), r.name() + " /q/metrics");
        }
    }

    private static void awaitOk(Running r, Probe probe) throws Exception {
        String path = probe.getHttpGet().getPath();
        Instant end = Instant.now().plus(START);
        int last = -1;
        while (Instant.now().isBefore(end)) {
            if (!r.process().isAlive()) {
                throw new AssertionError(r.name() + " exited:\n" + tail(r.log()));
            }
            last = status(r, path);
            if (last == 200) {
                return;
            }
            Thread.sleep(250);
        }
        throw new AssertionError(r.name() + " " + path + " answered " + last + ":\n" + tail(r.log()));
    }

    private static int status(Running r, String path) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + r.port() + path)).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private static String tail(Path log) throws IOException {
        List<String> lines = Files.readAllLines(log);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
