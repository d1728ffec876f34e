package org.mmgpt.engine.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes float32 arrays as {@code .safetensors} in F32, F16 or BF16, and splits a model into
 * {@code model-0000k-of-0000n.safetensors} shards with a {@code model.safetensors.index.json} above a
 * size limit, as Hugging Face's {@code save_pretrained} does. Tensors are streamed to the file one at a
 * time; none is held twice.
 */
public final class SafeTensorsWriter {

    private static final ObjectMapper JSON = new ObjectMapper();

    private SafeTensorsWriter() {}

    /** The safetensors dtype name for a config dtype ({@code float32}, {@code float16}, {@code bfloat16}). */
    public static String dtypeOf(String configDtype) {
        return switch (configDtype) {
            case "float16" -> "F16";
            case "bfloat16" -> "BF16";
            default -> "F32";
        };
    }

    /** Writes {@code tensors} (float32 arrays, in order) into one file in {@code dtype}. */
    public static void write(Path file, Map<String, NDArray> tensors, String dtype, Map<String, String> metadata)
            throws IOException {
        ObjectNode header = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode m = header.putObject("__metadata__");
            metadata.forEach(m::put);
        }
        long offset = 0;
        int bytesPer = dtype.equals("F32") ? 4 : 2;
        for (var e : tensors.entrySet()) {
            ObjectNode t = header.putObject(e.getKey());
            t.put("dtype", dtype);
            var shape = t.putArray("shape");
            for (long d : e.getValue().getShape().getShape()) {
                shape.add(d);
            }
            long n = e.getValue().getShape().size() * bytesPer;
            t.putArray("data_offsets").add(offset).add(offset + n);
            offset += n;
        }
        byte[] json = JSON.writeValueAsBytes(header);
        int padded = (json.length + 7) / 8 * 8; // the format pads the header with spaces to 8 bytes
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(json);
        while (head.hasRemaining()) {
            head.put((byte) ' ');
        }
        head.flip();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            writeFully(ch, head);
            for (NDArray a : tensors.values()) {
                writeFully(ch, encode(a, dtype));
            }
            ch.force(true);
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    /** The array's values in {@code dtype}, little-endian. */
    static ByteBuffer encode(NDArray a, String dtype) {
        if (a.getDataType() != DataType.FLOAT32) {
            throw new IllegalArgumentException("expected float32, got " + a.getDataType());
        }
        ByteBuffer f32 = a.toByteBuffer().order(ByteOrder.nativeOrder());
        int n = f32.remaining() / 4;
        switch (dtype) {
            case "F32": {
                ByteBuffer out = ByteBuffer.allocate(n * 4).order(ByteOrder.LITTLE_ENDIAN);
                out.asFloatBuffer().put(f32.asFloatBuffer());
                return out;
            }
            case "BF16": {
                ByteBuffer out = ByteBuffer.allocate(n * 2).order(ByteOrder.LITTLE_ENDIAN);
                var in = f32.asIntBuffer();
                var dst = out.asShortBuffer();
                for (int i = 0; i < n; i++) {
                    dst.put(i, toBf16(in.get(i)));
                }
                return out;
            }
            case "F16": {
                ByteBuffer out = ByteBuffer.allocate(n * 2).order(ByteOrder.LITTLE_ENDIAN);
                var in = f32.asFloatBuffer();
                var dst = out.asShortBuffer();
                for (int i = 0; i < n; i++) {
                    dst.put(i, toF16(in.get(i)));
                }
                return out;
            }
            default:
                throw new IllegalArgumentException("unsupported dtype " + dtype);
        }
    }

    /** float32 bits → bfloat16 bits, rounding to nearest even as torch does; NaN stays NaN. */
    static short toBf16(int bits) {
        if ((bits & 0x7FFFFFFF) > 0x7F800000) {
            return (short) ((bits >>> 16) | 0x40);
        }
        int rounding = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }

    /** float32 → IEEE half, rounding to nearest even (Java 17 has no Float.floatToFloat16). */
    static short toF16(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int val = bits & 0x7FFFFFFF;
        if (val >= 0x7F800000) { // inf, NaN
            return (short) (sign | 0x7C00 | (val > 0x7F800000 ? 0x200 : 0));
        }
        if (val >= 0x47800000) { // >= 65536: overflows to infinity
            return (short) (sign | 0x7C00);
        }
        if (val < 0x38800000) { // below 2^-14: a half subnormal (or zero)
            if (val < 0x33000000) {
                return (short) sign;
            }
            int mant = (val & 0x7FFFFF) | 0x800000;
            int shift = 126 - (val >>> 23);
            int m = mant >>> shift;
            int rem = mant & ((1 << shift) - 1);
            int half = 1 << (shift - 1);
            if (rem > half || (rem == half && (m & 1) == 1)) {
                m++;
            }
            return (short) (sign | m);
        }
        int r = val - 0x38000000; // rebias the exponent from 127 to 15
        int m = r >>> 13;
        int rem = r & 0x1FFF;
        if (rem > 0x1000 || (rem == 0x1000 && (m & 1) == 1)) {
            m++; // a carry into the exponent is the right answer, up to infinity
        }
        return (short) (sign | m);
    }

    /**
     * Writes a model's tensors into {@code dir} as one {@code model.safetensors}, or as shards of at
     * most {@code maxShardBytes} with an index when they do not fit in one.
     */
    public static void writeModel(Path dir, Map<String, NDArray> tensors, String dtype, long maxShardBytes)
            throws IOException {
        int bytesPer = dtype.equals("F32") ? 4 : 2;
        List<Map<String, NDArray>> shards = new ArrayList<>();
        Map<String, NDArray> current = new LinkedHashMap<>();
        long currentBytes = 0;
        long total = 0;
        for (var e : tensors.entrySet()) {
            long n = e.getValue().getShape().size() * bytesPer;
            if (!current.isEmpty() && currentBytes + n > maxShardBytes) {
                shards.add(current);
                current = new LinkedHashMap<>();
                currentBytes = 0;
            }
            current.put(e.getKey(), e.getValue());
            currentBytes += n;
            total += n;
        }
        shards.add(current);
        Map<String, String> meta = Map.of("format", "pt");
        if (shards.size() == 1) {
            write(dir.resolve("model.safetensors"), shards.get(0), dtype, meta);
            return;
        }
        Map<String, String> weightMap = new TreeMap<>();
        for (int i = 0; i < shards.size(); i++) {
            String name = String.format("model-%05d-of-%05d.safetensors", i + 1, shards.size());
            write(dir.resolve(name), shards.get(i), dtype, meta);
            for (String t : shards.get(i).keySet()) {
                weightMap.put(t, name);
            }
        }
        ObjectNode index = JSON.createObjectNode();
        index.putObject("metadata").put("total_size", total);
        ObjectNode wm = index.putObject("weight_map");
        weightMap.forEach(wm::put);
        Files.writeString(dir.resolve("model.safetensors.index.json"),
                JSON.writerWithDefaultPrettyPrinter().writeValueAsString(index) + "\n", StandardCharsets.UTF_8);
    }
}
