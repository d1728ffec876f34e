package org.mmgpt.protocol.storage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitOption;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.mmgpt.protocol.jobs.JobType;
import org.mmgpt.protocol.params.StoragePaths;

/**
 * The shared storage root ({@code MMGPT_STORAGE}, default {@code ./storage}; {@code /data} in
 * Kubernetes) and its layout. Every path in a message is relative to this root.
 * <pre>
 *   models/&lt;name&gt;/              a full model: config.json + *.safetensors (+ tokenizer files)
 *   adapters/&lt;name&gt;/            a LoRA adapter: adapter_config.json + adapter_model.safetensors
 *   jobs/&lt;job-id&gt;/checkpoints/  a job's checkpoints (checkpoint-&lt;step&gt;/), kept for resuming
 *   jobs/&lt;job-id&gt;/staging/      artifacts being written; moved into place when complete
 *   predictions/&lt;job-id&gt;.jsonl   a batch-inference job's answers (unless it names its output_file)
 *   .trash/                       artifacts that a newer one with the same path replaced
 *   anything else                 user data (data/pretrain, data/finetune, ...)
 * </pre>
 * A finished artifact is written under its job's staging directory and then renamed into place
 * ({@link #publish}), so a reader never sees half a model. No path leaves the root: text escapes
 * are refused by {@link StoragePaths}, symbolic links by resolving them here.
 */
public final class ArtifactStore {

    public static final String MODELS = "models";
    public static final String ADAPTERS = "adapters";
    public static final String JOBS = "jobs";
    public static final String PREDICTIONS = "predictions";
    public static final String TRASH = ".trash";

    /** Job ids become directory names, so they are kept to a safe alphabet. */
    private static final Pattern JOB_ID = Pattern.compile("[a-z0-9][a-z0-9-]{0,99}");
    private static final int ARTIFACT_SEARCH_DEPTH = 6;

    private final Path root;

    public ArtifactStore(Path root) {
        try {
            Files.createDirectories(root);
            this.root = root.toRealPath();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot use storage root " + root.toAbsolutePath(), e);
        }
    }

    public Path root() {
        return root;
    }

    /** Where a job writes its artifact unless the request says: an adapter for PEFT training, else a model. */
    public static String defaultOutputDir(JobType type, String jobId, boolean peft) {
        return (type.isTraining() && peft ? ADAPTERS : MODELS) + "/" + jobId;
    }

    /** Where a batch-inference job writes its {"Input", "Output"} lines unless the request says. */
    public static String defaultPredictionsFile(String jobId) {
        return PREDICTIONS + "/" + jobId + ".jsonl";
    }

    public static boolean isValidJobId(String jobId) {
        return jobId != null && JOB_ID.matcher(jobId).matches();
    }

    /**
     * The absolute path of a storage-relative path, which need not exist yet. Refused when its text
     * could leave the root, or when an existing part of it is a link that leads outside.
     */
    public Path resolve(String relative) throws StorageException {
        String normal = StoragePaths.normalize(relative).orElseThrow(() -> new StorageException(
                "'" + relative + "' is not a path inside the storage root"));
        Path path = root.resolve(normal);
        Path existing = path;
        while (existing != null && !Files.exists(existing, LinkOption.NOFOLLOW_LINKS)) {
            existing = existing.getParent();
        }
        try {
            if (existing != null && !existing.toRealPath().startsWith(root)) {
                throw new StorageException("'" + relative + "' leads outside the storage root through a link");
            }
        } catch (NoSuchFileException e) {
            throw new StorageException("'" + relative + "' goes through a broken link");
        } catch (StorageException e) {
            throw e;
        } catch (IOException e) {
            throw new StorageException("'" + relative + "' cannot be resolved: " + e.getMessage());
        }
        return path;
    }

    /** Like {@link #resolve}, and the path must exist. */
    public Path resolveExisting(String relative) throws StorageException {
        Path path = resolve(relative);
        if (!Files.exists(path)) {
            throw new StorageException("'" + relative + "' does not exist under the storage root");
        }
        return path;
    }

    /** What is wrong with an input path of a request, if anything. */
    public Optional<String> problemWithInput(String relative) {
        try {
            resolveExisting(relative);
            return Optional.empty();
        } catch (StorageException e) {
            return Optional.of(e.getMessage());
        }
    }

    public Path jobDir(String jobId) {
        if (!isValidJobId(jobId)) {
            throw new IllegalArgumentException("not a job id: '" + jobId + "'");
        }
        return root.resolve(JOBS).resolve(jobId);
    }

    public Path checkpointsDir(String jobId) {
        return jobDir(jobId).resolve("checkpoints");
    }

    /** A fresh, empty directory on the storage file system for an artifact being written. */
    public Path newStagingDir(String jobId) throws IOException {
        return Files.createDirectories(stagingDir(jobId).resolve(UUID.randomUUID().toString()));
    }

    /**
     * Deletes what earlier attempts of the job left half-written in its staging directory (a worker
     * killed while writing an artifact). An attempt calls it before it writes anything there; no
     * other attempt of the job runs meanwhile.
     */
    public void clearStaging(String jobId) throws IOException {
        Path staging = stagingDir(jobId);
        if (!Files.isDirectory(staging, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> files = Files.walk(staging)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).filter(p -> !p.equals(staging)).toList()) {
                Files.delete(p);
            }
        }
    }

    private Path stagingDir(String jobId) {
        return jobDir(jobId).resolve("staging");
    }

    /**
     * Moves a finished artifact from its staging directory to {@code target} with one rename. An
     * artifact already there is first renamed into {@code .trash/}: a reader sees the old one, then
     * nothing for an instant, then the new one, never a mix.
     *
     * @return the target's normal storage-relative path, as it goes into the job's artifacts list
     */
    public String publish(Path staged, String target) throws IOException {
        Path source = staged.toRealPath();
        if (!source.startsWith(root)) {
            throw new StorageException("staged artifact " + staged + " is outside the storage root");
        }
        Path destination = resolve(target);
        Files.createDirectories(destination.getParent());
        if (Files.exists(destination, LinkOption.NOFOLLOW_LINKS)) {
            Path trash = root.resolve(TRASH).resolve(destination.getFileName() + "-" + System.currentTimeMillis()
                    + "-" + UUID.randomUUID().toString().substring(0, 8));
            Files.createDirectories(trash.getParent());
            Files.move(destination, trash, StandardCopyOption.ATOMIC_MOVE);
        }
        Files.move(source, destination, StandardCopyOption.ATOMIC_MOVE);
        return relativize(destination);
    }

    public String relativize(Path absolute) {
        return root.relativize(absolute).toString().replace('\\', '/');
    }

    /**
     * The published models and adapters, by path. Job work directories and hidden directories are not
     * searched; a directory found to be an artifact is not searched further.
     */
    public List<Artifact> listArtifacts() throws IOException {
        List<Artifact> found = new ArrayList<>();
        Files.walkFileTree(root, EnumSet.noneOf(FileVisitOption.class), ARTIFACT_SEARCH_DEPTH,
                new SimpleFileVisitor<>() {
                    @Override
                    public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                        if (!dir.equals(root)) {
                            String name = dir.getFileName().toString();
                            if (name.startsWith(".") || dir.equals(root.resolve(JOBS))) {
                                return FileVisitResult.SKIP_SUBTREE;
                            }
                        }
                        Optional<Artifact.Kind> kind = kindOf(dir);
                        if (kind.isPresent()) {
                            found.add(new Artifact(relativize(dir), kind.get(), sizeOf(dir),
                                    attrs.lastModifiedTime().toInstant()));
                            return FileVisitResult.SKIP_SUBTREE;
                        }
                        return FileVisitResult.CONTINUE;
                    }

                    @Override
                    public FileVisitResult visitFileFailed(Path file, IOException e) {
                        return FileVisitResult.CONTINUE;
                    }
                });
        found.sort(Comparator.comparing(Artifact::path));
        return found;
    }

    private static Optional<Artifact.Kind> kindOf(Path dir) throws IOException {
        if (Files.isRegularFile(dir.resolve("adapter_config.json"))) {
            return Optional.of(Artifact.Kind.ADAPTER);
        }
        if (Files.isRegularFile(dir.resolve("config.json"))) {
            try (Stream<Path> files = Files.list(dir)) {
                if (files.anyMatch(f -> f.getFileName().toString().endsWith(".safetensors"))) {
                    return Optional.of(Artifact.Kind.MODEL);
                }
            }
        }
        return Optional.empty();
    }

    private static long sizeOf(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
        }
    }
}
