package org.mmgpt.engine.data;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Finding and reading data files: the files under a directory, recursively, in sorted path order (so
 * every run sees the same order), following symbolic links; hidden files and folders are left out, as
 * Python's glob does. A record is a non-blank line of a text or JSON-lines file, or an element of a
 * JSON-array file; every record carries its file and 1-based line number for error messages.
 */
final class DataFiles {
    static final Set<String> TEXT_AND_JSON = Set.of("txt", "jsonl", "json");
    static final Set<String> JSON = Set.of("jsonl", "json");

    private static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    /** For the elements of a JSON array, where more tokens follow each element. */
    private static final ObjectMapper ELEMENT_MAPPER = new ObjectMapper();

    private DataFiles() {}

    /** A line of text: its content with its line break, as the seed's text loader keeps it. */
    record TextLine(Path file, int line, String text) {}

    /** A parsed JSON record. */
    record JsonRecord(Path file, int line, JsonNode node) {}

    interface TextSink {
        void accept(TextLine line);
    }

    interface JsonSink {
        void accept(JsonRecord record);
    }

    /**
     * The data files under {@code source} (or {@code source} itself if it is a file) whose extension is
     * one of {@code extensions}. A missing path, or one with no such files, is a {@link DataException}
     * naming it.
     */
    static List<Path> list(Path source, Set<String> extensions) {
        String wanted = extensions.stream().sorted().map(e -> "." + e).reduce((a, b) -> a + ", " + b).orElse("");
        if (Files.isRegularFile(source)) {
            if (!extensions.contains(extension(source))) {
                throw new DataException(source + " is not a data file: expected one of " + wanted);
            }
            return List.of(source);
        }
        if (!Files.isDirectory(source)) {
            throw new DataException("no such data directory: " + source);
        }
        List<Path> files;
        try (Stream<Path> walk = Files.walk(source, FileVisitOption.FOLLOW_LINKS)) {
            files = walk.filter(p -> !hidden(source, p))
                    .filter(Files::isRegularFile)
                    .filter(p -> extensions.contains(extension(p)))
                    .sorted(Comparator.comparing(p -> source.relativize(p).toString()))
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + source, e);
        } catch (UncheckedIOException e) {
            throw new UncheckedIOException("cannot list " + source + ": " + e.getCause().getMessage(), e.getCause());
        }
        if (files.isEmpty()) {
            throw new DataException("no data files (" + wanted + ") in " + source);
        }
        return files;
    }

    private static boolean hidden(Path root, Path p) {
        for (Path part : root.relativize(p)) {
            if (part.toString().startsWith(".")) {
                return true;
            }
        }
        return false;
    }

    static String extension(Path file) {
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot < 0 ? "" : name.substring(dot + 1).toLowerCase(Locale.ROOT);
    }

    /**
     * Every non-blank line of a text file, with its line break ("\n"; a "\r\n" counts as "\n"); the
     * last line has none if the file does not end with one. A line that is not UTF-8 is a bad record.
     */
    static void readText(Path file, Errors errors, TextSink sink) {
        byte[] bytes = readAll(file);
        forEachLine(file, bytes, errors, (line, text, newline) -> {
            if (!text.isBlank()) {
                errors.countLine();
                sink.accept(new TextLine(file, line, newline ? text + "\n" : text));
            }
        });
    }

    /**
     * Every record of a JSON file: one JSON value a line (blank lines skipped), or, for a file whose
     * first character is '[', the elements of one JSON array. Invalid JSON is a bad record; in an
     * array it ends the file, as nothing after it can be read reliably.
     */
    static void readJson(Path file, Errors errors, JsonSink sink) {
        byte[] bytes = readAll(file);
        if (firstNonBlank(bytes) == '[') {
            readJsonArray(file, bytes, errors, sink);
            return;
        }
        forEachLine(file, bytes, errors, (line, text, newline) -> {
            if (text.isBlank()) {
                return;
            }
            errors.countLine();
            JsonNode node;
            try {
                node = MAPPER.readTree(text);
            } catch (JsonProcessingException e) {
                errors.add(file, line, invalidJson(e));
                return;
            }
            sink.accept(new JsonRecord(file, line, node));
        });
    }

    private static void readJsonArray(Path file, byte[] bytes, Errors errors, JsonSink sink) {
        String text;
        try {
            text = strictUtf8(bytes, 0, bytes.length);
            if (text.startsWith("\uFEFF")) {
                text = text.substring(1); // a byte order mark
            }
        } catch (CharacterCodingException e) {
            errors.countLine();
            errors.add(file, lineOfFirstBadByte(bytes), "not valid UTF-8");
            return;
        }
        try (JsonParser p = ELEMENT_MAPPER.createParser(text)) {
            if (p.nextToken() != JsonToken.START_ARRAY) {
                throw new IllegalStateException("a JSON array file must start with '['");
            }
            while (true) {
                JsonToken t = p.nextToken();
                if (t == JsonToken.END_ARRAY) {
                    break;
                }
                if (t == null) {
                    errors.countLine();
                    errors.add(file, p.currentLocation().getLineNr(), "invalid JSON: the array is not closed");
                    return;
                }
                int line = p.currentTokenLocation().getLineNr();
                errors.countLine();
                JsonNode node = ELEMENT_MAPPER.readTree(p);
                sink.accept(new JsonRecord(file, line, node));
            }
            if (p.nextToken() != null) {
                errors.countLine();
                errors.add(file, p.currentTokenLocation().getLineNr(), "invalid JSON: text after the closing ']'");
            }
        } catch (JsonProcessingException e) {
            errors.countLine();
            JsonLocation at = e.getLocation();
            errors.add(file, at == null ? 1 : at.getLineNr(), "invalid JSON: " + jacksonMessage(e));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    private static String invalidJson(JsonProcessingException e) {
        JsonLocation at = e.getLocation();
        String where = at != null && at.getColumnNr() > 0 ? " at column " + at.getColumnNr() : "";
        return "invalid JSON" + where + ": " + jacksonMessage(e);
    }

    /** Jackson's message without its source-location tail and parser-configuration remarks. */
    private static String jacksonMessage(JsonProcessingException e) {
        String m = e.getOriginalMessage();
        for (String cut : new String[] {" (start marker at", "\n", " (bound as", ": not allowed as per"}) {
            int at = m.indexOf(cut);
            if (at > 0) {
                m = m.substring(0, at);
            }
        }
        return m.strip();
    }

    private interface LineHandler {
        void line(int number, String text, boolean hadNewline);
    }

    private static void forEachLine(Path file, byte[] bytes, Errors errors, LineHandler handler) {
        int start = 0;
        int number = 1;
        if (bytes.length >= 3 && (bytes[0] & 0xff) == 0xef && (bytes[1] & 0xff) == 0xbb && (bytes[2] & 0xff) == 0xbf) {
            start = 3; // a UTF-8 byte order mark
        }
        while (start < bytes.length) {
            int end = start;
            while (end < bytes.length && bytes[end] != '\n') {
                end++;
            }
            boolean newline = end < bytes.length;
            int stop = newline && end > start && bytes[end - 1] == '\r' ? end - 1 : end;
            try {
                handler.line(number, strictUtf8(bytes, start, stop - start), newline);
            } catch (CharacterCodingException e) {
                errors.countLine();
                errors.add(file, number, "not valid UTF-8");
            }
            start = end + 1;
            number++;
        }
    }

    private static String strictUtf8(byte[] bytes, int offset, int length) throws CharacterCodingException {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        return decoder.decode(ByteBuffer.wrap(bytes, offset, length)).toString();
    }

    private static int lineOfFirstBadByte(byte[] bytes) {
        int line = 1;
        int start = 0;
        for (int i = 0; i <= bytes.length; i++) {
            if (i == bytes.length || bytes[i] == '\n') {
                try {
                    strictUtf8(bytes, start, i - start);
                } catch (CharacterCodingException e) {
                    return line;
                }
                line++;
                start = i + 1;
            }
        }
        return 1;
    }

    private static int firstNonBlank(byte[] bytes) {
        int i = bytes.length >= 3 && (bytes[0] & 0xff) == 0xef && (bytes[1] & 0xff) == 0xbb
                && (bytes[2] & 0xff) == 0xbf ? 3 : 0; // a UTF-8 byte order mark
        for (; i < bytes.length; i++) {
            byte b = bytes[i];
            if (b != ' ' && b != '\t' && b != '\r' && b != '\n') {
                return b;
            }
        }
        return -1;
    }

    private static byte[] readAll(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    /** A node's JSON type in words, for "must be a string, not a number". */
    static String typeName(JsonNode node) {
        if (node == null || node.isMissingNode()) {
            return "missing";
        }
        return switch (node.getNodeType()) {
            case ARRAY -> "a list";
            case OBJECT -> "an object";
            case STRING -> "a string";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            case NULL -> "null";
            default -> node.getNodeType().toString().toLowerCase(Locale.ROOT);
        };
    }

    /** {@code record} must be a JSON object. */
    static void requireObject(JsonNode record) throws BadRecord {
        if (!record.isObject()) {
            throw new BadRecord("expected a JSON object, got " + typeName(record));
        }
    }

    /** The string field {@code name} of {@code object}: present, a string, not blank. */
    static String text(JsonNode object, String name, String where) throws BadRecord {
        JsonNode v = object.get(name);
        String label = where.isEmpty() ? "field '" + name + "'" : where + "." + name;
        if (v == null) {
            throw new BadRecord((where.isEmpty() ? "" : where + ": ") + "missing field '" + name + "'");
        }
        if (!v.isTextual()) {
            throw new BadRecord(label + " must be a string, not " + typeName(v));
        }
        if (v.asText().isBlank()) {
            throw new BadRecord(label + " is empty");
        }
        return v.asText();
    }

    /** An optional string field: absent or null gives "", anything but a string is bad. */
    static String optionalText(JsonNode object, String name) throws BadRecord {
        JsonNode v = object.get(name);
        if (v == null || v.isNull()) {
            return "";
        }
        if (!v.isTextual()) {
            throw new BadRecord("field '" + name + "' must be a string, not " + typeName(v));
        }
        return v.asText();
    }
}
