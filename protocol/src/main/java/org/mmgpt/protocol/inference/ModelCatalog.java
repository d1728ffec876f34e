package org.mmgpt.protocol.inference;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.mmgpt.protocol.json.Json;
import org.mmgpt.protocol.params.StoragePaths;
import org.mmgpt.protocol.storage.Artifact;
import org.mmgpt.protocol.storage.ArtifactStore;
import org.mmgpt.protocol.storage.StorageException;

/**
 * The models in storage that can be served, by id. An id is a storage-relative path: a model
 * directory ("models/x"), or an adapter directory ("adapters/y") served over the base model its
 * adapter_config.json names, or over an explicit base ("adapters/y@models/x"). The gateway lists and
 * checks ids with it; the inference workers resolve them to directories and notice new versions.
 */
public final class ModelCatalog {

    /** Separates an adapter from the base model it is served over: "adapters/y@models/x". */
    public static final String OVER = "@";

    private final ArtifactStore store;

    public ModelCatalog(ArtifactStore store) {
        this.store = store;
    }

    /** Every model, and every adapter whose base model is in storage, by id. */
    public List<ServedModel> list() throws IOException {
        List<ServedModel> models = new ArrayList<>();
        for (Artifact artifact : store.listArtifacts()) {
            try {
                models.add(resolve(artifact.path()));
            } catch (ModelNotFoundException e) {
                // an adapter whose base is not in storage: servable only with an explicit base
            }
        }
        return models;
    }

    /** The id in normal form ("models//x/" → "models/x"), or the reason it cannot be one. */
    public static String canonical(String id) throws ModelNotFoundException {
        if (id == null || id.isBlank()) {
            throw new ModelNotFoundException("no model named; one of GET /v1/models");
        }
        int at = id.indexOf(OVER);
        if (at < 0) {
            return normalize(id, id);
        }
        return normalize(id.substring(0, at), id) + OVER + normalize(id.substring(at + 1), id);
    }

    private static String normalize(String path, String id) throws ModelNotFoundException {
        return StoragePaths.normalize(path).orElseThrow(() -> new ModelNotFoundException(
                "'" + id + "' is not a model id: ids are paths inside the storage root (GET /v1/models lists them)"));
    }

    /** The directories behind an id, and their current version. */
    public ServedModel resolve(String id) throws ModelNotFoundException {
        String canonical = canonical(id);
        int at = canonical.indexOf(OVER);
        String first = at < 0 ? canonical : canonical.substring(0, at);
        Path dir = existing(first, canonical);
        boolean adapter = Files.isRegularFile(dir.resolve("adapter_config.json"));
        if (!adapter) {
            if (at >= 0) {
                throw new ModelNotFoundException("'" + first + "' is a model, not an adapter: only an adapter is served"
                        + " over a base ('adapters/y" + OVER + "models/x')");
            }
            requireModel(dir, first);
            return new ServedModel(canonical, dir, null, version(dir, null), modifiedAt(dir));
        }
        String base = at >= 0 ? canonical.substring(at + 1) : baseOf(dir, first);
        Path baseDir;
        try {
            baseDir = existing(base, canonical);
        } catch (ModelNotFoundException e) {
            throw at >= 0 ? e : new ModelNotFoundException("the base model of adapter '" + first + "', '" + base
                    + "', is not in storage" + overExplicitBase(first));
        }
        requireModel(baseDir, base);
        return new ServedModel(canonical, baseDir, dir, version(baseDir, dir), modifiedAt(dir));
    }

    private Path existing(String path, String id) throws ModelNotFoundException {
        try {
            return store.resolveExisting(path).toRealPath();
        } catch (StorageException e) {
            throw new ModelNotFoundException("model '" + id + "': " + e.getMessage());
        } catch (IOException e) {
            throw new ModelNotFoundException("model '" + id + "': cannot read '" + path + "': " + e.getMessage());
        }
    }

    private static void requireModel(Path dir, String path) throws ModelNotFoundException {
        boolean weights;
        try (Stream<Path> files = Files.list(dir)) {
            weights = files.anyMatch(f -> f.getFileName().toString().endsWith(".safetensors"));
        } catch (IOException e) {
            weights = false;
        }
        if (!Files.isRegularFile(dir.resolve("config.json")) || !weights) {
            throw new ModelNotFoundException("'" + path + "' is not a model directory (config.json and *.safetensors)"
                    + " or an adapter (adapter_config.json)");
        }
    }

    /**
     * The base model an adapter names, as a storage-relative path. Training writes the absolute path
     * of the model it started from, which must lie inside the storage root; a hub name such as
     * "Qwen/Qwen2.5-0.5B" is taken as a path in storage.
     */
    private String baseOf(Path adapterDir, String adapter) throws ModelNotFoundException {
        String base;
        try {
            JsonNode config = Json.MAPPER.readTree(Files.readString(adapterDir.resolve("adapter_config.json"),
                    StandardCharsets.UTF_8));
            base = config.path("base_model_name_or_path").asText("");
        } catch (IOException e) {
            throw new ModelNotFoundException("cannot read " + adapter + "/adapter_config.json: " + e.getMessage());
        }
        if (base.isBlank()) {
            throw new ModelNotFoundException("adapter '" + adapter + "' names no base_model_name_or_path"
                    + overExplicitBase(adapter));
        }
        Path path = Path.of(base);
        if (!path.isAbsolute()) {
            return base;
        }
        try {
            Path real = path.toRealPath();
            if (real.startsWith(store.root())) {
                return store.relativize(real);
            }
        } catch (IOException e) {
            // answered below
        }
        throw new ModelNotFoundException("the base model of adapter '" + adapter + "', " + base
                + ", is not in storage" + overExplicitBase(adapter));
    }

    private static String overExplicitBase(String adapter) {
        return " (serve it over an explicit base: '" + adapter + OVER + "models/<base>')";
    }

    /**
     * A digest of what loading reads: each directory's identity (a publish renames a new directory in)
     * and the name, size and modification time of every file in it.
     */
    private static String version(Path model, Path adapter) throws ModelNotFoundException {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            for (Path dir : adapter == null ? List.of(model) : List.of(model, adapter)) {
                BasicFileAttributes attrs = Files.readAttributes(dir, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                digest.update((dir + "|" + attrs.fileKey() + "\n").getBytes(StandardCharsets.UTF_8));
                try (Stream<Path> files = Files.list(dir)) {
                    for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
                        BasicFileAttributes fa = Files.readAttributes(f, BasicFileAttributes.class);
                        digest.update((f.getFileName() + "|" + fa.size() + "|" + fa.lastModifiedTime().toMillis()
                                + "|" + fa.fileKey() + "\n").getBytes(StandardCharsets.UTF_8));
                    }
                }
            }
            return HexFormat.of().formatHex(digest.digest(), 0, 8);
        } catch (IOException e) {
            throw new ModelNotFoundException("cannot read " + model + ": " + e.getMessage());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Instant modifiedAt(Path dir) {
        try {
            return Files.getLastModifiedTime(dir).toInstant();
        } catch (IOException e) {
            return Instant.EPOCH;
        }
    }
}
