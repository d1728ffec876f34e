package org.mmgpt.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The renderer the other tests stand on: it renders what Kustomize renders for the fields it
 * implements (src/test/resources/kustomize/good), and refuses what it does not (…/refuse).
 */
class KustomizeTest {

    private static final Path FIXTURES = Manifests.DEPLOY.resolve("src/test/resources/kustomize");

    @Test
    void rendersBasesComponentsNamespacesLabelsImagesReplicasAndJsonPatchesAsKustomizeDoes() throws Exception {
        List<ObjectNode> out = Kustomize.build(FIXTURES.resolve("good/overlay"));
        // what `kustomize build` (v5) writes for this overlay (which orders its output by kind: compared as sets)
        JsonNode expected = Kustomize.YAML.readTree("""
                - apiVersion: v1
                  kind: Namespace
                  metadata: {name: b, labels: {team: x}}
                - apiVersion: apps/v1
                  kind: Deployment
                  metadata:
                    name: app
                    namespace: b
                    labels: {team: x}
                    annotations: {from: component}
                  spec:
                    replicas: 3
                    selector: {matchLabels: {app: app}}
                    template:
                      metadata: {labels: {app: app, team: x}}
                      spec:
                        containers:
                          - {name: app, image: "registry.example.com/app:1.0", args: ["--new"]}
                - apiVersion: v1
                  kind: ConfigMap
                  metadata: {name: conf, namespace: b, labels: {team: x}}
                  data: {k: v}
                - apiVersion: v1
                  kind: ConfigMap
                  metadata: {name: extra, namespace: b}
                  data: {k: v}
                """);
        assertEquals(sorted(expected), sorted(Kustomize.YAML.valueToTree(out)));
    }

    /**
     * Where a real Kustomize is installed (`kustomize`, or `kubectl kustomize`), deploy/'s own
     * kustomizations render to the same resources with it as with the renderer here. CI has none:
     * then this is skipped, and the fixture above stands for Kustomize.
     */
    @ParameterizedTest
    @ValueSource(strings = {"base", "overlays/dev", "overlays/gpu", "src/test/resources/kustomize/good/overlay"})
    void rendersDeploysKustomizationsAsAnInstalledKustomizeDoes(String dir) throws Exception {
        List<String> command = realKustomize(Manifests.DEPLOY.resolve(dir));
        Assumptions.assumeTrue(command != null, "no kustomize or kubectl on the PATH");
        Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        byte[] out = process.getInputStream().readAllBytes();
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), String.join(" ", command) + " did not finish");
        assertEquals(0, process.exitValue(), String.join(" ", command) + " failed");
        ArrayNode real = Kustomize.YAML.createArrayNode();
        try (var parser = Kustomize.YAML.getFactory().createParser(out)) {
            Kustomize.YAML.readValues(parser, JsonNode.class).forEachRemaining(real::add);
        }
        assertEquals(sorted(real), sorted(Kustomize.YAML.valueToTree(Kustomize.build(Manifests.DEPLOY.resolve(dir)))), dir);
    }

    private static List<String> realKustomize(Path dir) {
        for (String p : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            if (Files.isExecutable(Path.of(p, "kustomize"))) {
                return List.of(Path.of(p, "kustomize").toString(), "build", dir.toString());
            }
        }
        for (String p : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            if (Files.isExecutable(Path.of(p, "kubectl"))) {
                return List.of(Path.of(p, "kubectl").toString(), "kustomize", dir.toString());
            }
        }
        return null;
    }

    /** By kind and name; JSON trees compare without regard to field order. */
    private static List<JsonNode> sorted(JsonNode resources) {
        List<JsonNode> out = new java.util.ArrayList<>();
        resources.forEach(out::add);
        out.sort(java.util.Comparator.comparing(Kustomize::id));
        return out;
    }

    @ParameterizedTest
    @CsvSource({
        "strategic, strategic-merge patches are not implemented",
        "unknown-field, field 'configMapGenerator' is not implemented",
        "outside, lies outside the kustomization's directory",
        "no-match, matches no resource",
        "duplicate, two resources with the id",
        "selectors, includeSelectors",
    })
    void refusesWhatItDoesNotImplementOrKustomizeWouldRefuse(String fixture, String message) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Kustomize.build(FIXTURES.resolve("refuse").resolve(fixture)));
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }

    @Test
    void splitsImageReferencesAtTheTagNotAtARegistryPort() {
        assertEquals(List.of("registry:5000/mmgpt/app", "1.0"), List.of(Kustomize.splitImage("registry:5000/mmgpt/app:1.0")));
        assertEquals("registry:5000/mmgpt/app", Kustomize.splitImage("registry:5000/mmgpt/app")[0]);
        assertEquals(null, Kustomize.splitImage("registry:5000/mmgpt/app")[1]);
    }
}
