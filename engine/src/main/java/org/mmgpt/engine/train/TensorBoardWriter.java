package org.mmgpt.engine.train;

import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * Writes scalars as a TensorBoard event file, {@code runs/events.out.tfevents.<seconds>.<host>.<pid>},
 * that {@code tensorboard --logdir} reads: TFRecords (length, masked CRC-32C of the length, the data,
 * masked CRC-32C of the data) holding {@code tensorflow.Event} protobufs, encoded here by hand. The
 * first event carries the file version {@code brain.Event:2}; each scalar is one event with its wall
 * time, step and a {@code Summary} of one {@code simple_value}.
 *
 * <p>A resumed run opens a new file in the same folder; TensorBoard merges the files of a folder.
 * Safe for use from several threads.
 */
public final class TensorBoardWriter implements AutoCloseable {
    static final String FILE_VERSION = "brain.Event:2";

    private final Path file;
    private final OutputStream out;
    private boolean closed;

    /** Creates {@code runsDir} if needed and a new event file in it, and writes the version event. */
    public TensorBoardWriter(Path runsDir) {
        try {
            Files.createDirectories(runsDir);
            long seconds = System.currentTimeMillis() / 1000;
            String base = "events.out.tfevents." + seconds + "." + hostname() + "." + ProcessHandle.current().pid();
            Path candidate = runsDir.resolve(base);
            for (int i = 1; Files.exists(candidate); i++) {
                candidate = runsDir.resolve(base + "." + i); // a second writer in the same second
            }
            this.file = candidate;
            this.out = new BufferedOutputStream(Files.newOutputStream(file, StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE));
            ByteArrayOutputStream event = new ByteArrayOutputStream();
            writeDouble(event, 1, wallTime());
            writeBytes(event, 3, FILE_VERSION.getBytes(StandardCharsets.UTF_8));
            writeRecord(event.toByteArray());
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write TensorBoard events in " + runsDir, e);
        }
    }

    /** The event file being written. */
    public Path file() {
        return file;
    }

    /** One scalar, e.g. {@code scalar("train/loss", 2.31, 10)}. Written now, on disk after {@link #flush()}. */
    public synchronized void scalar(String tag, double value, long step) {
        if (closed) {
            throw new IllegalStateException("the TensorBoard writer for " + file + " is closed");
        }
        ByteArrayOutputStream v = new ByteArrayOutputStream();
        writeBytes(v, 1, tag.getBytes(StandardCharsets.UTF_8));
        writeFloat(v, 2, (float) value);
        ByteArrayOutputStream summary = new ByteArrayOutputStream();
        writeBytes(summary, 1, v.toByteArray());
        ByteArrayOutputStream event = new ByteArrayOutputStream();
        writeDouble(event, 1, wallTime());
        writeVarintField(event, 2, step);
        writeBytes(event, 5, summary.toByteArray());
        try {
            writeRecord(event.toByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    /** Several scalars of one step, each under its own tag, in the map's order. */
    public synchronized void scalars(Map<String, ? extends Number> values, long step) {
        values.forEach((tag, value) -> scalar(tag, value.doubleValue(), step));
    }

    public synchronized void flush() {
        if (closed) {
            return;
        }
        try {
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            out.close();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    private void writeRecord(byte[] data) throws IOException {
        ByteBuffer header = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
        header.putLong(data.length);
        header.putInt(maskedCrc(header.array(), 0, 8));
        out.write(header.array());
        out.write(data);
        ByteBuffer footer = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
        footer.putInt(maskedCrc(data, 0, data.length));
        out.write(footer.array());
    }

    /** TFRecord's checksum: CRC-32C, rotated right by 15 bits, plus a constant. */
    static int maskedCrc(byte[] bytes, int offset, int length) {
        CRC32C crc = new CRC32C();
        crc.update(bytes, offset, length);
        int c = (int) crc.getValue();
        return ((c >>> 15) | (c << 17)) + 0xa282ead8;
    }

    private static double wallTime() {
        return System.currentTimeMillis() / 1000.0;
    }

    // protobuf wire format: tag = field << 3 | wire type (0 varint, 1 fixed64, 2 length-delimited, 5 fixed32)

    private static void writeVarint(ByteArrayOutputStream out, long v) {
        while ((v & ~0x7FL) != 0) {
            out.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
    }

    private static void writeVarintField(ByteArrayOutputStream out, int field, long v) {
        writeVarint(out, (long) field << 3);
        writeVarint(out, v);
    }

    private static void writeDouble(ByteArrayOutputStream out, int field, double v) {
        writeVarint(out, ((long) field << 3) | 1);
        out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putDouble(v).array());
    }

    private static void writeFloat(ByteArrayOutputStream out, int field, float v) {
        writeVarint(out, ((long) field << 3) | 5);
        out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(v).array());
    }

    private static void writeBytes(ByteArrayOutputStream out, int field, byte[] bytes) {
        writeVarint(out, ((long) field << 3) | 2);
        writeVarint(out, bytes.length);
        out.writeBytes(bytes);
    }

    /** The host's name for the file name: HOSTNAME, the kernel's, or Java's; "localhost" failing all. */
    private static String hostname() {
        String name = System.getenv("HOSTNAME");
        if (name == null || name.isBlank()) {
            try {
                name = Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
            } catch (IOException | RuntimeException e) {
                name = null;
            }
        }
        if (name == null || name.isBlank()) {
            try {
                name = InetAddress.getLocalHost().getHostName();
            } catch (IOException e) {
                name = "localhost";
            }
        }
        return name.replaceAll("[^A-Za-z0-9._-]", "_");
    }
}
