package org.mmgpt.engine.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.mmgpt.engine.FileTrees;

/**
 * Checkpoint directories ({@code output_dir/checkpoint-<step>}) written so that a crash never leaves
 * a half-written one where a resume would look: everything goes into a hidden staging directory that
 * is renamed into place only when complete.
 */
public final class Checkpoints {
    private static final Pattern NAME = Pattern.compile("checkpoint-(\\d+)");
    /** The staging directories of {@link #save} and {@link #publishInto}. */
    private static final Pattern STAGING = Pattern.compile("\\.(checkpoint-\\d+\\..+|result\\..+)\\.tmp");
    /** Written last into the result: a reader that sees them sees a complete model or adapter. */
    private static final List<String> MARKERS = List.of("model.safetensors.index.json", "config.json", "adapter_config.json");

    /** Fills a staging directory. */
    public interface Writer {
        void write(Path staging) throws IOException;
    }

    private Checkpoints() {}

    /**
     * Deletes the hidden staging directories ({@code .checkpoint-*.tmp}, {@code .result.*.tmp}) that a
     * run killed while saving left in {@code outputDir}. Call it before a run starts there.
     */
    public static void clearStaging(Path outputDir) throws IOException {
        if (!Files.isDirectory(outputDir)) {
            return;
        }
        try (Stream<Path> s = Files.list(outputDir)) {
            for (Path p : s.filter(p -> STAGING.matcher(p.getFileName().toString()).matches()).toList()) {
                FileTrees.delete(p);
            }
        }
    }

    /** Writes checkpoint {@code step} through a staging directory and returns its final path. */
    public static Path save(Path outputDir, long step, Writer writer) throws IOException {
        Path target = outputDir.resolve("checkpoint-" + step);
        Path staging = outputDir.resolve(".checkpoint-" + step + "." + UUID.randomUUID() + ".tmp");
        try {
            Files.createDirectories(staging);
            writer.write(staging);
            if (Files.exists(target)) {
                FileTrees.delete(target); // the same step written again (a retried run): replace it whole
            }
            Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
            return target;
        } catch (IOException e) {
            // a full disk or a read-only volume: the previous checkpoints stay as they were
            throw new IOException("cannot write checkpoint-" + step + " in " + outputDir + ": " + describe(e), e);
        } finally {
            if (Files.exists(staging)) {
                FileTrees.delete(staging);
            }
        }
    }

    /** An I/O failure in words: the JDK's FileSystemException message holds only the path. */
    static String describe(IOException e) {
        String what = e.getMessage();
        if (e instanceof java.nio.file.FileSystemException fs && fs.getReason() != null) {
            // a copy names its source first: the file being written is the other one
            what = fs.getReason() + " (" + fs.getFile() + (fs.getOtherFile() != null ? " -> " + fs.getOtherFile() : "") + ")";
        }
        return what;
    }

    /** Complete checkpoints in {@code outputDir}, oldest first. */
    public static List<Path> list(Path outputDir) throws IOException {
        List<Path> out = new ArrayList<>();
        if (!Files.isDirectory(outputDir)) {
            return out;
        }
        try (Stream<Path> s = Files.list(outputDir)) {
            s.filter(p -> NAME.matcher(p.getFileName().toString()).matches())
                    .filter(p -> Files.isRegularFile(p.resolve("trainer_state.json")))
                    .forEach(out::add);
        }
        out.sort(Comparator.comparingLong(Checkpoints::step));
        return out;
    }

    public static long step(Path checkpoint) {
        Matcher m = NAME.matcher(checkpoint.getFileName().toString());
        if (!m.matches()) {
            throw new IllegalArgumentException(checkpoint + " is not a checkpoint-<step> directory");
        }
        return Long.parseLong(m.group(1));
    }

    /** The newest complete checkpoint, or null. */
    public static Path latest(Path outputDir) throws IOException {
        List<Path> all = list(outputDir);
        return all.isEmpty() ? null : all.get(all.size() - 1);
    }

    /** Deletes the oldest checkpoints beyond {@code limit} (a limit below 1 keeps all). */
    public static void prune(Path outputDir, int limit) throws IOException {
        if (limit < 1) {
            return;
        }
        List<Path> all = list(outputDir);
        for (int i = 0; i < all.size() - limit; i++) {
            FileTrees.delete(all.get(i));
        }
    }

    /**
     * Writes files through a staging directory and moves them into {@code dir}, the marker files
     * (config.json, adapter_config.json, the shard index) last, each move atomic.
     */
    public static void publishInto(Path dir, Writer writer) throws IOException {
        Path staging = dir.resolve(".result." + UUID.randomUUID() + ".tmp");
        try {
            Files.createDirectories(staging);
            writer.write(staging);
            List<Path> files;
            try (Stream<Path> s = Files.list(staging)) {
                files = new ArrayList<>(s.toList());
            }
            files.sort(Comparator.comparingInt(p -> MARKERS.indexOf(p.getFileName().toString())));
            for (Path f : files) {
                Files.move(f, dir.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING,
                        StandardCopyOption.ATOMIC_MOVE);
            }
        } catch (IOException e) {
            throw new IOException("cannot write the result in " + dir + ": " + describe(e), e);
        } finally {
            FileTrees.delete(staging);
        }
    }
}
