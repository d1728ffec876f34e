package org.mmgpt.protocol.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ArtifactStoreTest {

    /** The storage root and a directory beside it, both inside one temporary directory. */
    @TempDir
    Path base;
    Path root;
    Path outside;

    @BeforeEach
    void directories() throws IOException {
        root = Files.createDirectories(base.resolve("storage"));
        outside = Files.createDirectories(base.resolve("outside"));
    }

    @Test
    void refusesPathsThatLeaveTheRoot() throws IOException {
        ArtifactStore store = new ArtifactStore(root);
        Files.createDirectories(root.resolve("data"));
        Files.createSymbolicLink(root.resolve("data/out"), outside);
        Files.createSymbolicLink(root.resolve("data/in"), root.resolve("data"));
        assertThrows(StorageException.class, () -> store.resolve("/etc"));
        assertThrows(StorageException.class, () -> store.resolve("data/../../x"));
        assertThrows(StorageException.class, () -> store.resolve("data/out/file"), "a link leading out");
        assertEquals(root.toRealPath().resolve("data/in/x"), store.resolve("./data/in//x"), "a link that stays inside");
        assertTrue(store.problemWithInput("data/missing").orElseThrow().contains("does not exist"));
        assertTrue(store.problemWithInput("data").isEmpty());
    }

    @Test
    void publishesByRenameAndMovesAReplacedArtifactAside() throws IOException {
        ArtifactStore store = new ArtifactStore(root);
        Path first = store.newStagingDir("job-1");
        Files.writeString(first.resolve("config.json"), "{\"v\":1}");
        Files.writeString(first.resolve("model.safetensors"), "1");
        assertEquals("models/m", store.publish(first, "models/m/"));
        assertFalse(Files.exists(first));

        Path second = store.newStagingDir("job-2");
        Files.writeString(second.resolve("config.json"), "{\"v\":2}");
        Files.writeString(second.resolve("model.safetensors"), "2");
        store.publish(second, "models/m");
        assertEquals("{\"v\":2}", Files.readString(root.resolve("models/m/config.json")));
        try (Stream<Path> trash = Files.list(root.resolve(ArtifactStore.TRASH))) {
            Path old = trash.findFirst().orElseThrow();
            assertEquals("{\"v\":1}", Files.readString(old.resolve("config.json")));
        }
        assertThrows(StorageException.class, () -> store.publish(outside, "models/x"));
    }

    @Test
    void clearingAJobsStagingDeletesWhatAKilledAttemptLeftAndNothingElse() throws IOException {
        ArtifactStore store = new ArtifactStore(root);
        Path half = store.newStagingDir("job-1");
        Files.createDirectories(half.resolve("model"));
        Files.writeString(half.resolve("model/model.safetensors"), "half");
        Path other = store.newStagingDir("job-2");
        Files.createDirectories(root.resolve("jobs/job-1/checkpoints/checkpoint-2"));

        store.clearStaging("job-1");

        assertFalse(Files.exists(half));
        assertTrue(Files.isDirectory(root.resolve("jobs/job-1/staging")), "the staging directory itself stays");
        assertTrue(Files.isDirectory(other), "another job's staging is not touched");
        assertTrue(Files.isDirectory(root.resolve("jobs/job-1/checkpoints/checkpoint-2")), "nor its checkpoints");
        store.clearStaging("job-3"); // never staged anything
    }

    @Test
    void listsModelsAndAdaptersOutsideJobAndHiddenDirectories() throws IOException {
        ArtifactStore store = new ArtifactStore(root);
        write(root.resolve("models/base/config.json"), root.resolve("models/base/model.safetensors"));
        write(root.resolve("adapters/a1/adapter_config.json"), root.resolve("adapters/a1/adapter_model.safetensors"));
        write(root.resolve("elsewhere/deep/m2/config.json"), root.resolve("elsewhere/deep/m2/x.safetensors"));
        write(root.resolve("models/no-weights/config.json"));
        write(root.resolve("jobs/job-1/checkpoints/checkpoint-5/adapter_config.json"));
        write(root.resolve(".trash/old/config.json"), root.resolve(".trash/old/model.safetensors"));

        List<Artifact> artifacts = store.listArtifacts();
        assertEquals(List.of("adapters/a1", "elsewhere/deep/m2", "models/base"), artifacts.stream().map(Artifact::path).toList());
        assertEquals(List.of(Artifact.Kind.ADAPTER, Artifact.Kind.MODEL, Artifact.Kind.MODEL),
                artifacts.stream().map(Artifact::kind).toList());
        assertTrue(artifacts.get(0).sizeBytes() > 0);
    }

    @Test
    void jobIdsAreSafeDirectoryNames() {
        ArtifactStore store = new ArtifactStore(root);
        assertThrows(IllegalArgumentException.class, () -> store.jobDir("../x"));
        assertThrows(IllegalArgumentException.class, () -> store.jobDir("Job_1"));
        assertEquals(root.resolve("jobs/job-1/checkpoints").toString(),
                store.checkpointsDir("job-1").toString().replace(store.root().toString(), root.toString()));
    }

    private static void write(Path... files) throws IOException {
        for (Path file : files) {
            Files.createDirectories(file.getParent());
            Files.writeString(file, "{}");
        }
    }
}
