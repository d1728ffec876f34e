package org.mmgpt.protocol.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mmgpt.protocol.storage.ArtifactStore;

class ModelCatalogTest {

    @TempDir
    Path base;
    Path root;
    ArtifactStore store;
    ModelCatalog catalog;

    @BeforeEach
    void storage() throws IOException {
        root = Files.createDirectories(base.resolve("storage"));
        store = new ArtifactStore(root);
        catalog = new ModelCatalog(store);
        model("models/m1");
        model("models/m2");
        adapter("adapters/trained", "{\"base_model_name_or_path\": \"" + root.toRealPath().resolve("models/m1") + "\"}");
        adapter("adapters/relative", "{\"base_model_name_or_path\": \"models/m2\"}");
        adapter("adapters/hub", "{\"base_model_name_or_path\": \"Qwen/Qwen2.5-0.5B\"}");
    }

    private void model(String path) throws IOException {
        Path dir = Files.createDirectories(root.resolve(path));
        Files.writeString(dir.resolve("config.json"), "{}");
        Files.writeString(dir.resolve("model.safetensors"), "weights");
    }

    private void adapter(String path, String config) throws IOException {
        Path dir = Files.createDirectories(root.resolve(path));
        Files.writeString(dir.resolve("adapter_config.json"), config);
        Files.writeString(dir.resolve("adapter_model.safetensors"), "lora");
    }

    @Test
    void listsModelsAndTheAdaptersWhoseBaseIsInStorage() throws Exception {
        assertEquals(java.util.List.of("adapters/relative", "adapters/trained", "models/m1", "models/m2"),
                catalog.list().stream().map(ServedModel::id).toList());
    }

    @Test
    void resolvesModelsAdaptersAndExplicitBases() throws Exception {
        ServedModel m1 = catalog.resolve("./models//m1/");
        assertEquals("models/m1", m1.id());
        assertNull(m1.adapterDir());

        ServedModel trained = catalog.resolve("adapters/trained");
        assertEquals(root.toRealPath().resolve("models/m1"), trained.modelDir(), "the absolute base training wrote");
        assertEquals(root.toRealPath().resolve("adapters/trained"), trained.adapterDir());
        assertEquals(root.toRealPath().resolve("models/m2"), catalog.resolve("adapters/relative").modelDir());

        ServedModel over = catalog.resolve("adapters/hub@models/m2");
        assertEquals("adapters/hub@models/m2", over.id());
        assertEquals(root.toRealPath().resolve("models/m2"), over.modelDir());
    }

    @Test
    void refusalsSayWhatIsWrong() {
        assertTrue(message("models/none").contains("does not exist"));
        assertTrue(message("../etc").contains("not a model id"));
        assertTrue(message("adapters/hub").contains("Qwen/Qwen2.5-0.5B"));
        assertTrue(message("adapters/hub").contains("adapters/hub@models/<base>"));
        assertTrue(message("models/m1@models/m2").contains("is a model, not an adapter"));
        assertTrue(message("adapters").contains("not a model directory"));
    }

    @Test
    void theVersionChangesWhenANewArtifactIsPublishedUnderTheSameId() throws Exception {
        String before = catalog.resolve("models/m1").version();
        assertEquals(before, catalog.resolve("models/m1").version(), "stable while nothing changes");
        Path staged = store.newStagingDir("job-1").resolve("m");
        Files.createDirectories(staged);
        Files.writeString(staged.resolve("config.json"), "{}");
        Files.writeString(staged.resolve("model.safetensors"), "weights");
        store.publish(staged, "models/m1");
        assertNotEquals(before, catalog.resolve("models/m1").version());
    }

    private String message(String id) {
        return assertThrows(ModelNotFoundException.class, () -> catalog.resolve(id)).getMessage();
    }
}
