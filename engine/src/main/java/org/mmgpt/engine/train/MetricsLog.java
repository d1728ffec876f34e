package org.mmgpt.engine.train;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The metrics file of a run, {@code metrics.jsonl}: one JSON object a line, e.g.
 * {@code {"step":10,"epoch":0.5,"loss":2.31,"learning_rate":1.9E-4}}, each line on disk (flushed)
 * once written. Opening appends, so a resumed run continues the same file; {@link #resume} first
 * drops the lines an interrupted run wrote after the checkpoint it resumes from. NaN and infinite
 * values are written as the strings "NaN", "Infinity" and "-Infinity" (JSON has no such numbers).
 * Safe for use from several threads.
 */
public final class MetricsLog implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private final OutputStream out;
    private boolean closed;

    private MetricsLog(Path file) {
        this.file = file;
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            boolean needsNewline = Files.isRegularFile(file) && Files.size(file) > 0 && !endsWithNewline(file);
            this.out = Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND,
                    StandardOpenOption.WRITE);
            if (needsNewline) {
                out.write('\n'); // a line cut short by a crash stays alone on its line
                out.flush();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open " + file, e);
        }
    }

    /** Opens {@code file} for appending, creating it (and its folder) if needed. */
    public static MetricsLog open(Path file) {
        return new MetricsLog(file);
    }

    /**
     * Opens {@code file} for a run resumed after {@code step}: lines with a larger step, and lines that
     * are not valid JSON objects (one cut short by a crash), are removed first; the rest is kept.
     */
    public static MetricsLog resume(Path file, long step) {
        if (Files.isRegularFile(file)) {
            try {
                List<String> kept = new ArrayList<>();
                for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                    Map<String, Object> record = parse(line);
                    if (record != null && !(record.get("step") instanceof Number n && n.longValue() > step)) {
                        kept.add(line);
                    }
                }
                Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
                Files.write(tmp, kept, StandardCharsets.UTF_8);
                Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot rewrite " + file + " for resuming", e);
            }
        }
        return new MetricsLog(file);
    }

    public Path file() {
        return file;
    }

    /** Appends {@code {"step": step, "epoch": epoch, ...metrics}} and flushes it. */
    public void log(long step, double epoch, Map<String, ?> metrics) {
        Map<String, Object> record = new LinkedHashMap<>();
        record.put("step", step);
        record.put("epoch", epoch);
        metrics.forEach((k, v) -> {
            if (!k.equals("step") && !k.equals("epoch")) {
                record.put(k, v);
            }
        });
        append(record);
    }

    /** Appends one record, fields in the map's order, and flushes it. */
    public synchronized void append(Map<String, ?> record) {
        if (closed) {
            throw new IllegalStateException("the metrics log " + file + " is closed");
        }
        try {
            byte[] line = JSON.writeValueAsBytes(record);
            byte[] withNewline = new byte[line.length + 1];
            System.arraycopy(line, 0, withNewline, 0, line.length);
            withNewline[line.length] = '\n';
            out.write(withNewline);
            out.flush();
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("a metric cannot be written as JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    /** The records of a metrics file, in order; a line that is not a JSON object is left out. */
    public static List<Map<String, Object>> read(Path file) {
        try {
            List<Map<String, Object>> records = new ArrayList<>();
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                Map<String, Object> r = parse(line);
                if (r != null) {
                    records.add(r);
                }
            }
            return records;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
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
            throw new UncheckedIOException("cannot close " + file, e);
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> parse(String line) {
        if (line.isBlank()) {
            return null;
        }
        try {
            Object v = JSON.readValue(line, Object.class);
            return v instanceof Map<?, ?> m ? new LinkedHashMap<>((Map<String, Object>) m) : null;
        } catch (JsonProcessingException e) {
            return null;
        }
    }

    private static boolean endsWithNewline(Path file) throws IOException {
        try (var ch = Files.newByteChannel(file)) {
            ch.position(ch.size() - 1);
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(1);
            ch.read(b);
            return b.get(0) == '\n';
        }
    }
}
