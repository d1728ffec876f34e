package org.mmgpt.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.fabric8.zjsonpatch.JsonPatch;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * Renders a kustomization as {@code kustomize build} does, for the subset of Kustomize that deploy/
 * uses (kustomize itself is not installed here, and no Java library renders it). Anything outside
 * the subset is refused rather than half-rendered, so a manifest that would need it fails the tests.
 *
 * <p>The subset: {@code resources} (files inside the kustomization's directory, or directories
 * holding a kustomization), {@code components}, {@code namespace}, {@code labels} (pairs, with
 * {@code includeTemplates}; never selectors), {@code images} (newName, newTag), {@code replicas},
 * and {@code patches} of JSON 6902 operations with a {@code target} of kind and name (an anchored
 * regular expression, as in Kustomize), inline or from a file. {@code namespace} also renames Namespace
 * objects, as Kustomize does. Transformers run in Kustomize's order:
 * namespace, patches, labels, images, replicas; a component's after its parent's resources are in.
 */
final class Kustomize {

    static final ObjectMapper YAML = new YAMLMapper(new YAMLFactory());
    private static final Set<String> FIELDS = Set.of("apiVersion", "kind", "namespace", "labels", "resources",
            "components", "images", "replicas", "patches");
    /** Kinds without a namespace among those deploy/ uses; every other kind it uses is namespaced. */
    private static final Set<String> CLUSTER_SCOPED = Set.of("Namespace");
    private static final Set<String> NAMESPACED = Set.of("ConfigMap", "Secret", "PersistentVolumeClaim", "Service",
            "Deployment", "Ingress", "NetworkPolicy", "PodDisruptionBudget", "HorizontalPodAutoscaler", "Kafka",
            "KafkaNodePool", "KafkaTopic", "ScaledObject");
    private static final Set<String> WORKLOADS = Set.of("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job");

    private Kustomize() {
    }

    /** {@code kustomize build dir}: every resource, transformed, in order. */
    static List<ObjectNode> build(Path dir) {
        return build(dir.toAbsolutePath().normalize(), "Kustomization");
    }

    private static List<ObjectNode> build(Path dir, String expectedKind) {
        ObjectNode k = kustomization(dir, expectedKind);
        List<ObjectNode> resources = new ArrayList<>();
        for (String entry : strings(k, "resources")) {
            Path p = dir.resolve(entry).normalize();
            if (Files.isDirectory(p)) {
                resources.addAll(build(p, "Kustomization"));
            } else {
                resources.addAll(load(dir, p));
            }
        }
        for (String entry : strings(k, "components")) {
            Path p = dir.resolve(entry).normalize();
            if (!Files.isDirectory(p)) {
                throw refused(dir, "component " + entry + " is not a directory");
            }
            ObjectNode component = kustomization(p, "Component");
            for (String res : strings(component, "resources")) {
                Path r = p.resolve(res).normalize();
                resources.addAll(Files.isDirectory(r) ? build(r, "Kustomization") : load(p, r));
            }
            if (!strings(component, "components").isEmpty()) {
                throw refused(p, "components inside a component");
            }
            transform(p, component, resources);
        }
        transform(dir, k, resources);
        checkUnique(dir, resources);
        return resources;
    }

    private static ObjectNode kustomization(Path dir, String expectedKind) {
        Path file = dir.resolve("kustomization.yaml");
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(dir + " has no kustomization.yaml");
        }
        JsonNode k = read(file);
        if (!(k instanceof ObjectNode o)) {
            throw refused(dir, "kustomization.yaml is not a mapping");
        }
        for (Iterator<String> names = o.fieldNames(); names.hasNext();) {
            String name = names.next();
            if (!FIELDS.contains(name)) {
                throw refused(dir, "field '" + name + "' is not implemented by this renderer");
            }
        }
        String kind = o.path("kind").asText("Kustomization");
        String apiVersion = o.path("apiVersion").asText();
        String wanted = expectedKind.equals("Component") ? "kustomize.config.k8s.io/v1alpha1" : "kustomize.config.k8s.io/v1beta1";
        if (!kind.equals(expectedKind) || !apiVersion.equals(wanted)) {
            throw refused(dir, "expected " + wanted + " " + expectedKind + ", found " + apiVersion + " " + kind);
        }
        return o;
    }

    private static void transform(Path dir, ObjectNode k, List<ObjectNode> resources) {
        if (k.hasNonNull("namespace")) {
            String namespace = k.get("namespace").asText();
            for (ObjectNode r : resources) {
                String kind = r.path("kind").asText();
                if (NAMESPACED.contains(kind)) {
                    metadata(r).put("namespace", namespace);
                } else if (kind.equals("Namespace")) {
                    metadata(r).put("name", namespace); // as Kustomize does (its fieldSpec metadata/name for Namespace)
                } else if (!CLUSTER_SCOPED.contains(kind)) {
                    throw refused(dir, "the scope of kind " + kind + " is not known to this renderer");
                }
            }
        }
        for (JsonNode patch : list(k, "patches")) {
            patch(dir, patch, resources);
        }
        for (JsonNode label : list(k, "labels")) {
            expectOnly(dir, label, "labels entry", Set.of("pairs", "includeTemplates", "includeSelectors"));
            if (label.path("includeSelectors").asBoolean(false)) {
                throw refused(dir, "labels with includeSelectors (selectors are immutable once applied)");
            }
            boolean templates = label.path("includeTemplates").asBoolean(false);
            for (ObjectNode r : resources) {
                label.path("pairs").properties().forEach(e -> {
                    labels(metadata(r)).set(e.getKey(), e.getValue());
                    if (templates && WORKLOADS.contains(r.path("kind").asText())) {
                        labels(metadata(child(child(r, "spec"), "template"))).set(e.getKey(), e.getValue());
                    }
                });
            }
        }
        for (JsonNode image : list(k, "images")) {
            expectOnly(dir, image, "images entry", Set.of("name", "newName", "newTag"));
            String name = image.path("name").asText();
            int[] matched = {0};
            forEachContainer(resources, c -> {
                String[] ref = splitImage(c.path("image").asText());
                if (ref[0].equals(name)) {
                    String newName = image.path("newName").asText(ref[0]);
                    String newTag = image.has("newTag") ? image.get("newTag").asText() : ref[1];
                    c.put("image", newTag == null ? newName : newName + ":" + newTag);
                    matched[0]++;
                }
            });
            if (matched[0] == 0) {
                throw refused(dir, "image " + name + " is used by no container");
            }
        }
        for (JsonNode replica : list(k, "replicas")) {
            expectOnly(dir, replica, "replicas entry", Set.of("name", "count"));
            String name = replica.path("name").asText();
            List<ObjectNode> targets = resources.stream()
                    .filter(r -> Set.of("Deployment", "StatefulSet", "ReplicaSet").contains(r.path("kind").asText()))
                    .filter(r -> name.equals(r.path("metadata").path("name").asText()))
                    .toList();
            if (targets.isEmpty()) {
                throw refused(dir, "replicas for " + name + ", which is no workload here");
            }
            targets.forEach(r -> child(r, "spec").put("replicas", replica.path("count").asInt()));
        }
    }

    private static void patch(Path dir, JsonNode entry, List<ObjectNode> resources) {
        expectOnly(dir, entry, "patches entry", Set.of("path", "patch", "target"));
        JsonNode ops;
        if (entry.has("path") == entry.has("patch")) {
            throw refused(dir, "a patch needs exactly one of path and patch");
        } else if (entry.has("path")) {
            ops = read(inside(dir, dir.resolve(entry.get("path").asText()).normalize()));
        } else {
            try {
                ops = YAML.readTree(entry.get("patch").asText());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        if (!(ops instanceof ArrayNode)) {
            throw refused(dir, "strategic-merge patches are not implemented by this renderer: write JSON 6902 operations");
        }
        JsonNode target = entry.path("target");
        expectOnly(dir, target, "patch target", Set.of("kind", "name"));
        if (!target.has("kind")) {
            throw refused(dir, "a patch target without a kind");
        }
        Pattern name = Pattern.compile(target.path("name").asText(".*"));
        int applied = 0;
        for (int i = 0; i < resources.size(); i++) {
            ObjectNode r = resources.get(i);
            if (r.path("kind").asText().equals(target.get("kind").asText())
                    && name.matcher(r.path("metadata").path("name").asText()).matches()) {
                resources.set(i, (ObjectNode) JsonPatch.apply(ops, r));
                applied++;
            }
        }
        if (applied == 0) {
            throw refused(dir, "patch target " + target + " matches no resource");
        }
    }

    /** Every container and init container of every pod template. */
    static void forEachContainer(List<ObjectNode> resources, Consumer<ObjectNode> action) {
        for (ObjectNode r : resources) {
            if (!WORKLOADS.contains(r.path("kind").asText())) {
                continue;
            }
            JsonNode pod = r.path("spec").path("template").path("spec");
            for (String field : new String[] {"containers", "initContainers"}) {
                for (JsonNode c : pod.path(field)) {
                    action.accept((ObjectNode) c);
                }
            }
        }
    }

    /** name and tag (null when none) of an image reference; a digest is refused. */
    static String[] splitImage(String image) {
        if (image.contains("@")) {
            throw new IllegalArgumentException("image digests are not implemented by this renderer: " + image);
        }
        int slash = image.lastIndexOf('/');
        int colon = image.lastIndexOf(':');
        return colon > slash ? new String[] {image.substring(0, colon), image.substring(colon + 1)} : new String[] {image, null};
    }

    private static void checkUnique(Path dir, List<ObjectNode> resources) {
        Set<String> ids = new HashSet<>();
        for (ObjectNode r : resources) {
            String id = r.path("apiVersion").asText().replaceAll("/.*", "") + "/" + r.path("kind").asText() + "/"
                    + r.path("metadata").path("namespace").asText("") + "/" + r.path("metadata").path("name").asText();
            if (!ids.add(id)) {
                throw refused(dir, "two resources with the id " + id);
            }
        }
    }

    /** The YAML documents of a file inside the kustomization's directory (empty documents skipped). */
    private static List<ObjectNode> load(Path root, Path file) {
        inside(root, file);
        List<ObjectNode> docs = new ArrayList<>();
        try (var parser = YAML.getFactory().createParser(file.toFile())) {
            for (Iterator<JsonNode> it = YAML.readValues(parser, JsonNode.class); it.hasNext();) {
                JsonNode doc = it.next();
                if (doc instanceof ObjectNode o && !o.isEmpty()) {
                    docs.add(o);
                } else if (doc != null && !doc.isNull() && !doc.isMissingNode() && !(doc instanceof ObjectNode)) {
                    throw refused(root, file + " holds a document that is not a mapping");
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return docs;
    }

    /** Kustomize's load restriction: files must lie inside the kustomization's directory. */
    private static Path inside(Path root, Path file) {
        if (!file.startsWith(root)) {
            throw refused(root, file + " lies outside the kustomization's directory");
        }
        if (!Files.isRegularFile(file)) {
            throw refused(root, file + " does not exist");
        }
        return file;
    }

    private static JsonNode read(Path file) {
        try {
            return YAML.readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<String> strings(JsonNode k, String field) {
        List<String> out = new ArrayList<>();
        k.path(field).forEach(n -> out.add(n.asText()));
        return out;
    }

    private static List<JsonNode> list(JsonNode k, String field) {
        List<JsonNode> out = new ArrayList<>();
        k.path(field).forEach(out::add);
        return out;
    }

    private static void expectOnly(Path dir, JsonNode node, String what, Set<String> fields) {
        for (Iterator<String> names = node.fieldNames(); names.hasNext();) {
            String name = names.next();
            if (!fields.contains(name)) {
                throw refused(dir, what + " field '" + name + "' is not implemented by this renderer");
            }
        }
    }

    static ObjectNode metadata(ObjectNode r) {
        return child(r, "metadata");
    }

    private static ObjectNode labels(ObjectNode metadata) {
        return child(metadata, "labels");
    }

    private static ObjectNode child(ObjectNode parent, String name) {
        JsonNode n = parent.get(name);
        if (n instanceof ObjectNode o) {
            return o;
        }
        return parent.putObject(name);
    }

    private static IllegalArgumentException refused(Path dir, String what) {
        return new IllegalArgumentException(dir + ": " + what);
    }

    /** A resource as a map, for messages. */
    static String id(JsonNode r) {
        return r.path("kind").asText() + " " + r.path("metadata").path("name").asText();
    }
}
