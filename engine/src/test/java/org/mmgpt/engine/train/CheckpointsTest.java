package org.mmgpt.engine.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Checkpoints appear whole or not at all, and a full disk is a clear error that spoils nothing. */
class CheckpointsTest {

    private static Checkpoints.Writer bytes(int n) {
        return dir -> {
            Files.write(dir.resolve("weights.bin"), new byte[n]);
            Files.writeString(dir.resolve("trainer_state.json"), "{}");
        };
    }

    @Test
    void latestPrunedAndNoStagingLeft(@TempDir Path out) throws IOException {
        for (long step = 1; step <= 4; step++) {
            Checkpoints.save(out, step, bytes(10));
        }
        Files.createDirectories(out.resolve("checkpoint-9")); // incomplete: no trainer_state.json
        assertEquals(out.resolve("checkpoint-4"), Checkpoints.latest(out));
        Checkpoints.prune(out, 2);
        assertEquals(List.of(out.resolve("checkpoint-3"), out.resolve("checkpoint-4")), Checkpoints.list(out));
        try (Stream<Path> s = Files.list(out)) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().startsWith(".")), "no staging folder left");
        }
    }

    @Test
    void aFailingWriteLeavesThePreviousCheckpointUsable(@TempDir Path out) throws IOException {
        Checkpoints.save(out, 1, bytes(10));
        var e = assertThrows(IOException.class, () -> Checkpoints.save(out, 2, dir -> {
            Files.writeString(dir.resolve("trainer_state.json"), "{}");
            throw new IOException("the process died mid-write");
        }));
        assertTrue(e.getMessage().contains("checkpoint-2"), e.getMessage());
        assertEquals(out.resolve("checkpoint-1"), Checkpoints.latest(out));
        assertEquals(List.of(out.resolve("checkpoint-1")), Checkpoints.list(out));
    }

    @Test
    void theStagingOfASaveThatDiedIsClearedAndTheCheckpointsStay(@TempDir Path out) throws IOException {
        Checkpoints.save(out, 1, bytes(10));
        Path halfCheckpoint = Files.createDirectories(out.resolve(".checkpoint-2.0b6c7e0a.tmp"));
        Files.write(halfCheckpoint.resolve("weights.bin"), new byte[5]); // what a kill mid-save leaves
        Path halfResult = Files.createDirectories(out.resolve(".result.5d1e.tmp"));
        Files.writeString(out.resolve("metrics.jsonl"), "{}\n");
        Files.createDirectories(out.resolve(".keep-me"));

        Checkpoints.clearStaging(out);

        assertTrue(Files.notExists(halfCheckpoint) && Files.notExists(halfResult));
        assertEquals(List.of(out.resolve("checkpoint-1")), Checkpoints.list(out));
        assertTrue(Files.isRegularFile(out.resolve("metrics.jsonl")));
        assertTrue(Files.isDirectory(out.resolve(".keep-me")), "only the trainer's own staging folders go");
        Checkpoints.clearStaging(out.resolve("not-there")); // nothing to do
    }

    @Test
    void aFailedCopyNamesTheFileBeingWritten() {
        String what = Checkpoints.describe(new java.nio.file.FileSystemException("models/m/tokenizer.json",
                "out/.result.1.tmp/tokenizer.json", "No space left on device"));
        assertEquals("No space left on device (models/m/tokenizer.json -> out/.result.1.tmp/tokenizer.json)", what);
    }

    /** On a 1 MiB tmpfs when this machine lets us mount one, else on a storage root that refuses writes. */
    @Test
    void aFullDiskIsAClearErrorAndTheLastCheckpointStays(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("small");
        Files.createDirectories(out);
        boolean mounted = run("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", out.toString()) == 0;
        try {
            if (mounted) {
                Checkpoints.save(out, 1, bytes(100_000));
                var e = assertThrows(IOException.class, () -> Checkpoints.save(out, 2, bytes(2_000_000)));
                assertTrue(e.getMessage().contains("No space left on device"), e.getMessage());
                assertTrue(e.getMessage().contains("checkpoint-2"), e.getMessage());
                assertEquals(out.resolve("checkpoint-1"), Checkpoints.latest(out));
                assertEquals(100_000, Files.size(out.resolve("checkpoint-1/weights.bin")));
            } else {
                Path refusing = tmp.resolve("not-a-directory");
                Files.writeString(refusing, "a file where the output directory should be");
                var e = assertThrows(IOException.class, () -> Checkpoints.save(refusing, 1, bytes(10)));
                assertTrue(e.getMessage().contains("cannot write checkpoint-1"), e.getMessage());
            }
        } finally {
            if (mounted) {
                run("umount", out.toString());
            }
        }
    }

    private static int run(String... cmd) throws Exception {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS) ? p.exitValue() : -1;
        } catch (IOException e) {
            return -1; // no mount command
        }
    }
}
