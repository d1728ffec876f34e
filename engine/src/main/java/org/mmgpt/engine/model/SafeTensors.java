package org.mmgpt.engine.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * One memory-mapped {@code .safetensors} file: an 8-byte little-endian header length, a JSON header
 * ({@code name → {dtype, shape, data_offsets}}), then the raw tensor bytes.
 *
 * <p>The file is never read into the Java heap: tensors are copied from the mapping straight into
 * native memory. An array created on a direct buffer shares that memory in DJL, and an in-place op on
 * a read-only mapping crashes the JVM, so every tensor handed out is a copy owned by the caller's
 * manager. bfloat16 is decoded in Java (its bits are the upper half of a float32) because casting to
 * BFLOAT16 aborts the JVM on CPU in DJL 0.36.
 */
public final class SafeTensors {

    /** Where one tensor lies in the file. */
    public record Entry(String name, String dtype, long[] shape, long begin, long end) {
        public long elements() {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            return n;
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private final MappedByteBuffer data;
    private final long dataStart;
    private final Map<String, Entry> entries;
    private final Map<String, String> metadata;

    private SafeTensors(Path file, MappedByteBuffer data, long dataStart, Map<String, Entry> entries,
                        Map<String, String> metadata) {
        this.file = file;
        this.data = data;
        this.dataStart = dataStart;
        this.entries = entries;
        this.metadata = metadata;
    }

    public static SafeTensors open(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) {
                throw new IllegalArgumentException(file + ": not a safetensors file (" + size + " bytes)");
            }
            if (size > Integer.MAX_VALUE) {
                // A MappedByteBuffer addresses at most 2 GiB; HF shards big models below that anyway.
                throw new IllegalArgumentException(file + ": shards over 2 GiB are not supported ("
                        + size + " bytes); re-shard the checkpoint");
            }
            MappedByteBuffer map = ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
            map.order(ByteOrder.LITTLE_ENDIAN);
            long headerLen = map.getLong(0);
            if (headerLen <= 0 || headerLen > size - 8) {
                throw new IllegalArgumentException(file + ": corrupt safetensors header length " + headerLen);
            }
            byte[] header = new byte[(int) headerLen];
            map.get(8, header);
            JsonNode root = JSON.readTree(new String(header, StandardCharsets.UTF_8));
            Map<String, Entry> entries = new LinkedHashMap<>();
            Map<String, String> metadata = new LinkedHashMap<>();
            long dataStart = 8 + headerLen;
            for (var f : root.properties()) {
                if (f.getKey().equals("__metadata__")) {
                    f.getValue().properties().forEach(m -> metadata.put(m.getKey(), m.getValue().asText()));
                    continue;
                }
                JsonNode t = f.getValue();
                long[] shape = new long[t.path("shape").size()];
                for (int i = 0; i < shape.length; i++) {
                    shape[i] = t.get("shape").get(i).asLong();
                }
                Entry e = new Entry(f.getKey(), t.path("dtype").asText(), shape,
                        t.path("data_offsets").get(0).asLong(), t.path("data_offsets").get(1).asLong());
                long expected = e.elements() * bytesPer(e.dtype(), file, e.name());
                if (e.end() - e.begin() != expected || dataStart + e.end() > size) {
                    throw new IllegalArgumentException(file + ": tensor " + e.name() + " has inconsistent offsets");
                }
                entries.put(e.name(), e);
            }
            return new SafeTensors(file, map, dataStart, Collections.unmodifiableMap(entries),
                    Collections.unmodifiableMap(metadata));
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private static int bytesPer(String dtype, Path file, String name) {
        return switch (dtype) {
            case "F32" -> 4;
            case "F16", "BF16" -> 2;
            default -> throw new IllegalArgumentException(file + ": tensor " + name + " has unsupported dtype "
                    + dtype + " (F32, F16, BF16 are supported)");
        };
    }

    public Path file() {
        return file;
    }

    public Set<String> names() {
        return entries.keySet();
    }

    public Entry entry(String name) {
        return entries.get(name);
    }

    public Map<String, String> metadata() {
        return metadata;
    }

    /** The tensor as a float32 array owned by {@code manager} (a copy; the mapping is never shared). */
    public NDArray load(String name, NDManager manager) {
        Entry e = entries.get(name);
        if (e == null) {
            throw new IllegalArgumentException(file + ": no tensor named " + name);
        }
        Shape shape = new Shape(e.shape());
        ByteBuffer bytes = data.slice((int) (dataStart + e.begin()), (int) (e.end() - e.begin()))
                .order(ByteOrder.LITTLE_ENDIAN);
        return switch (e.dtype()) {
            case "F32" -> copyOf(manager.create(bytes, shape, DataType.FLOAT32));
            case "F16" -> {
                try (NDArray shared = manager.create(bytes, shape, DataType.FLOAT16)) {
                    yield shared.toType(DataType.FLOAT32, true);
                }
            }
            case "BF16" -> copyOf(manager.create(decodeBf16(bytes, e.elements()), shape, DataType.FLOAT32));
            default -> throw new IllegalStateException("unreachable: " + e.dtype());
        };
    }

    private static NDArray copyOf(NDArray shared) {
        NDArray own = shared.duplicate();
        shared.close();
        return own;
    }

    /** bfloat16 → float32: the 16 stored bits become the upper half of the float's bits. */
    static ByteBuffer decodeBf16(ByteBuffer src, long n) {
        ByteBuffer out = ByteBuffer.allocateDirect(Math.toIntExact(n * 4)).order(ByteOrder.nativeOrder());
        var in = src.asShortBuffer();
        var dst = out.asIntBuffer();
        for (int i = 0; i < n; i++) {
            dst.put(i, (in.get(i) & 0xFFFF) << 16);
        }
        return out;
    }
}
