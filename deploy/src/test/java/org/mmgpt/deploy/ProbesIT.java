package org.mmgpt.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.mmgpt.testsupport.EmbeddedKafka;
import org.mmgpt.testsupport.PackagedService;

/**
 * Every probe of the dev overlay answers on the service it probes. Each Deployment's container is
 * run the way its image runs it (the ENTRYPOINT of images/Dockerfile.jvm on the module's packaged
 * application) with the environment the manifests give it; only what a cluster would provide is
 * replaced: Kafka by an in-process broker, each volume by a local directory, and the port by a free
 * one (the services would share this machine's ports).
 */
class ProbesIT {

    private static final Duration START = Duration.ofSeconds(150);
    private static final List<Running> running = new ArrayList<>();

    record Running(PackagedService service, Container container) {
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
            int port = PackagedService.freePort();
            ServiceConfig service = ServiceConfig.of(name);
            assertEquals(service.httpPort(env), c.getPorts().get(0).getContainerPort(), name);
            env.put(service.portVariable(), String.valueOf(port));

            List<String> command = new ArrayList<>();
            command.add(PackagedService.java());
            // the image's command line, its application directory replaced by the module's packaged one
            Path app = Manifests.REPO.resolve(name).resolve("target/quarkus-app");
            assertTrue(Files.isRegularFile(app.resolve("quarkus-run.jar")), app + ": package the services first");
            for (String arg : entrypoint.subList(1, entrypoint.size())) {
                command.add(arg.replace(workdir, app.toString()).replace("-XX:MaxRAMPercentage=75", "-Xmx1g"));
            }
            running.add(new Running(PackagedService.run(name, command, root, env, port, root.resolve(name + ".log")), c));
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
            r.service().stop();
        }
    }

    @Test
    void everyProbeAndTheMetricsPathAnswerOnTheServiceTheyProbe() throws Exception {
        for (Running r : running) {
            PackagedService s = r.service();
            // as the kubelet does: the startup probe first, then liveness and readiness
            s.awaitOk(r.container().getStartupProbe().getHttpGet().getPath(), START);
            s.awaitOk(r.container().getLivenessProbe().getHttpGet().getPath(), START);
            s.awaitOk(r.container().getReadinessProbe().getHttpGet().getPath(), START);
            assertEquals(200, s.status("/q/metrics"), s.name() + " /q/metrics");
        }
    }
}
