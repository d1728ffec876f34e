package org.mmgpt.engine.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The event file read back by a reader written here from the format's description (TFRecord framing
 * with masked CRC-32C, tensorflow.Event / Summary protobufs), independent of the writer's code.
 */
class TensorBoardWriterTest {

    /** A decoded event: wall_time, step, file_version, and the summary's (tag, simple_value) pairs. */
    record Event(double wallTime, long step, String fileVersion, List<Map.Entry<String, Float>> values) {}

    @Test
    void scalarsRoundTrip(@TempDir Path tmp) throws IOException {
        Path runs = tmp.resolve("out/runs");
        double before = System.currentTimeMillis() / 1000.0 - 1;
        Path file;
        try (TensorBoardWriter w = new TensorBoardWriter(runs)) {
            file = w.file();
            w.scalar("train/loss", 2.5, 1);
            w.scalar("train/learning_rate", 1.0e-4, 1);
            w.scalar("train/loss", 2.25, 2);
            w.scalar("eval/perplexity", Math.exp(2.0), 300);
            w.scalar("训练/损失", -0.125, 1L << 40); // a UTF-8 tag and a step past 32 bits
            w.flush();
            assertEquals(6, readEvents(file).size(), "flush puts every event on disk");
            w.scalars(new LinkedHashMap<>(Map.of("rewards/accuracies", 0.75)), 301);
        }
        double after = System.currentTimeMillis() / 1000.0 + 1;

        assertEquals(runs, file.getParent());
        String name = file.getFileName().toString();
        assertTrue(name.matches("events\\.out\\.tfevents\\.\\d{10}\\.[A-Za-z0-9._-]+\\." + ProcessHandle.current().pid()),
                name);

        List<Event> events = readEvents(file);
        assertEquals(7, events.size());
        Event first = events.get(0);
        assertEquals("brain.Event:2", first.fileVersion());
        assertEquals(0, first.step());
        assertTrue(first.values().isEmpty());
        for (Event e : events) {
            assertTrue(e.wallTime() >= before && e.wallTime() <= after, "wall time " + e.wallTime());
        }
        assertScalar(events.get(1), "train/loss", 2.5f, 1);
        assertScalar(events.get(2), "train/learning_rate", 1.0e-4f, 1);
        assertScalar(events.get(3), "train/loss", 2.25f, 2);
        assertScalar(events.get(4), "eval/perplexity", (float) Math.exp(2.0), 300);
        assertScalar(events.get(5), "训练/损失", -0.125f, 1L << 40);
        assertScalar(events.get(6), "rewards/accuracies", 0.75f, 301);
    }

    @Test
    void aCorruptedRecordIsCaught(@TempDir Path tmp) throws IOException {
        Path file;
        try (TensorBoardWriter w = new TensorBoardWriter(tmp)) {
            w.scalar("loss", 1.0, 1);
            file = w.file();
        }
        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length - 6] ^= 1; // inside the last record's data
        Files.write(file, bytes);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> readEvents(file));
        assertTrue(e.getMessage().contains("data CRC"), e.getMessage());
    }

    @Test
    void twoWritersInOneSecondGetTwoFiles(@TempDir Path tmp) {
        try (TensorBoardWriter a = new TensorBoardWriter(tmp); TensorBoardWriter b = new TensorBoardWriter(tmp)) {
            assertNotEquals(a.file(), b.file());
        }
    }

    @Test
    void writingAfterCloseFails(@TempDir Path tmp) {
        TensorBoardWriter w = new TensorBoardWriter(tmp);
        w.close();
        w.close(); // twice is fine
        w.flush();
        assertThrows(IllegalStateException.class, () -> w.scalar("loss", 1, 1));
    }

    @Test
    void maskedCrcMatchesAKnownValue() {
        // CRC-32C("123456789") = 0xE3069283 (the standard check value); masked by hand:
        int crc = 0xE3069283;
        int masked = ((crc >>> 15) | (crc << 17)) + 0xa282ead8;
        assertEquals(masked, TensorBoardWriter.maskedCrc("123456789".getBytes(StandardCharsets.US_ASCII), 0, 9));
        CRC32C c = new CRC32C();
        c.update("123456789".getBytes(StandardCharsets.US_ASCII));
        assertEquals(0xE3069283L, c.getValue());
    }

    private static void assertScalar(Event e, String tag, float value, long step) {
        assertEquals(step, e.step());
        assertEquals(1, e.values().size());
        assertEquals(tag, e.values().get(0).getKey());
        assertEquals(value, e.values().get(0).getValue());
    }

    // ---- an independent reader --------------------------------------------------------------------

    static List<Event> readEvents(Path file) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        List<Event> events = new ArrayList<>();
        while (b.hasRemaining()) {
            if (b.remaining() < 12) {
                throw new IllegalStateException("a truncated record header at " + b.position());
            }
            byte[] header = new byte[8];
            b.get(header);
            int lengthCrc = b.getInt();
            if (lengthCrc != mask(crc32c(header))) {
                throw new IllegalStateException("length CRC mismatch at record " + events.size());
            }
            long length = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN).getLong();
            if (length < 0 || length > b.remaining() - 4) {
                throw new IllegalStateException("a record longer than the file: " + length);
            }
            byte[] data = new byte[(int) length];
            b.get(data);
            int dataCrc = b.getInt();
            if (dataCrc != mask(crc32c(data))) {
                throw new IllegalStateException("data CRC mismatch at record " + events.size());
            }
            events.add(decodeEvent(data));
        }
        return events;
    }

    private static int crc32c(byte[] bytes) {
        CRC32C c = new CRC32C();
        c.update(bytes);
        return (int) c.getValue();
    }

    private static int mask(int crc) {
        return Integer.rotateRight(crc, 15) + 0xa282ead8;
    }

    private static Event decodeEvent(byte[] data) {
        Proto p = new Proto(data);
        double wallTime = Double.NaN;
        long step = 0;
        String version = null;
        List<Map.Entry<String, Float>> values = new ArrayList<>();
        while (p.more()) {
            long key = p.varint();
            int field = (int) (key >>> 3);
            int wire = (int) (key & 7);
            if (field == 1 && wire == 1) {
                wallTime = Double.longBitsToDouble(p.fixed64());
            } else if (field == 2 && wire == 0) {
                step = p.varint();
            } else if (field == 3 && wire == 2) {
                version = new String(p.bytes(), StandardCharsets.UTF_8);
            } else if (field == 5 && wire == 2) {
                Proto summary = new Proto(p.bytes());
                while (summary.more()) {
                    long k = summary.varint();
                    if (k != ((1 << 3) | 2)) {
                        throw new IllegalStateException("unexpected Summary field " + k);
                    }
                    Proto value = new Proto(summary.bytes());
                    String tag = null;
                    Float simple = null;
                    while (value.more()) {
                        long vk = value.varint();
                        if (vk == ((1 << 3) | 2)) {
                            tag = new String(value.bytes(), StandardCharsets.UTF_8);
                        } else if (vk == ((2 << 3) | 5)) {
                            simple = Float.intBitsToFloat(value.fixed32());
                        } else {
                            throw new IllegalStateException("unexpected Summary.Value field " + vk);
                        }
                    }
                    values.add(Map.entry(tag, simple));
                }
            } else {
                throw new IllegalStateException("unexpected Event field " + field + " wire type " + wire);
            }
        }
        return new Event(wallTime, step, version, values);
    }

    /** Just enough of protobuf's wire format. */
    private static final class Proto {
        private final ByteBuffer b;

        Proto(byte[] bytes) {
            b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        }

        boolean more() {
            return b.hasRemaining();
        }

        long varint() {
            long v = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                byte x = b.get();
                v |= (long) (x & 0x7f) << shift;
                if (x >= 0) {
                    return v;
                }
            }
            throw new IllegalStateException("varint too long");
        }

        long fixed64() {
            return b.getLong();
        }

        int fixed32() {
            return b.getInt();
        }

        byte[] bytes() {
            byte[] out = new byte[(int) varint()];
            b.get(out);
            return out;
        }
    }

    @Test
    void theEventFileIsTheOnlyFileWritten(@TempDir Path tmp) throws IOException {
        try (TensorBoardWriter w = new TensorBoardWriter(tmp.resolve("runs"))) {
            w.scalar("loss", 1, 1);
        }
        try (Stream<Path> files = Files.list(tmp.resolve("runs"))) {
            List<Path> all = files.toList();
            assertEquals(1, all.size());
        }
    }
}
