package org.mmgpt.gateway.openai;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * Reads a JSON request body field by field, each read with its type and range checked, and at the end
 * refuses every field nobody read: a field this server does not implement is an error, never ignored.
 * A field sent as JSON null counts as absent.
 */
final class RequestReader {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final ObjectNode body;
    private final Set<String> read = new HashSet<>();

    private RequestReader(ObjectNode body) {
        this.body = body;
    }

    /** The body as a JSON object, or a 400 that says why not (too large, not JSON, not an object). */
    static RequestReader of(byte[] bytes, int maxBytes) {
        if (bytes.length > maxBytes) {
            throw new OpenAiException(400, "invalid_request_error", "The request body is " + bytes.length
                    + " bytes; the limit on this server is " + maxBytes + " bytes.", null, "request_too_large");
        }
        JsonNode node;
        try {
            node = JSON.readTree(bytes);
        } catch (JsonProcessingException e) {
            throw new OpenAiException(400, "invalid_request_error", "The request body is not valid JSON: "
                    + e.getOriginalMessage(), null, "invalid_json");
        } catch (IOException e) {
            throw new OpenAiException(400, "invalid_request_error", "The request body cannot be read: " + e.getMessage(),
                    null, "invalid_json");
        }
        if (node == null || !node.isObject()) {
            throw new OpenAiException(400, "invalid_request_error", "The request body must be a JSON object.", null,
                    "invalid_json");
        }
        return new RequestReader((ObjectNode) node);
    }

    /** The field, or null when absent or null; marks it read. */
    JsonNode node(String field) {
        read.add(field);
        JsonNode v = body.get(field);
        return v == null || v.isNull() ? null : v;
    }

    boolean has(String field) {
        return body.hasNonNull(field);
    }

    String text(String field, boolean required) {
        JsonNode v = node(field);
        if (v == null) {
            if (required) {
                throw OpenAiException.invalid(field, "Missing required parameter: '" + field + "'.");
            }
            return null;
        }
        if (!v.isTextual()) {
            throw wrongType(field, "a string", v);
        }
        return v.asText();
    }

    Boolean bool(String field) {
        JsonNode v = node(field);
        if (v == null) {
            return null;
        }
        if (!v.isBoolean()) {
            throw wrongType(field, "a boolean", v);
        }
        return v.asBoolean();
    }

    Double number(String field, double min, boolean minExclusive, double max) {
        JsonNode v = node(field);
        if (v == null) {
            return null;
        }
        if (!v.isNumber()) {
            throw wrongType(field, "a number", v);
        }
        double d = v.asDouble();
        if (!Double.isFinite(d) || (minExclusive ? d <= min : d < min) || d > max) {
            throw OpenAiException.invalid(field, "Invalid '" + field + "': expected a number "
                    + (minExclusive ? "> " : ">= ") + plain(min) + " and <= " + plain(max) + ", got " + v + ".");
        }
        return d;
    }

    Long integer(String field, long min, long max) {
        JsonNode v = node(field);
        if (v == null) {
            return null;
        }
        if (!v.isIntegralNumber() || !v.canConvertToLong()) {
            throw wrongType(field, "an integer", v);
        }
        long n = v.asLong();
        if (n < min || n > max) {
            throw OpenAiException.invalid(field, "Invalid '" + field + "': expected an integer from " + min + " to "
                    + max + ", got " + n + ".");
        }
        return n;
    }

    /** A string or a list of strings (OpenAI's {@code stop}), at most {@code max} of them, none empty. */
    List<String> strings(String field, int max) {
        JsonNode v = node(field);
        if (v == null) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        if (v.isTextual()) {
            out.add(v.asText());
        } else if (v.isArray()) {
            for (JsonNode item : v) {
                if (!item.isTextual()) {
                    throw wrongType(field, "a string or a list of strings", v);
                }
                out.add(item.asText());
            }
        } else {
            throw wrongType(field, "a string or a list of strings", v);
        }
        if (out.size() > max) {
            throw OpenAiException.invalid(field, "Invalid '" + field + "': at most " + max + " strings, got " + out.size() + ".");
        }
        if (out.stream().anyMatch(String::isEmpty)) {
            throw OpenAiException.invalid(field, "Invalid '" + field + "': an empty string never matches.");
        }
        return out;
    }

    /** A list of non-negative integers (vLLM's {@code stop_token_ids}). */
    List<Long> ids(String field) {
        JsonNode v = node(field);
        if (v == null) {
            return List.of();
        }
        List<Long> out = new ArrayList<>();
        if (v.isArray()) {
            for (JsonNode item : v) {
                if (!item.isIntegralNumber() || item.asLong() < 0) {
                    throw wrongType(field, "a list of token ids", v);
                }
                out.add(item.asLong());
            }
            return out;
        }
        throw wrongType(field, "a list of token ids", v);
    }

    /**
     * Refuses every field not read: those in {@code unsupported} as known but not implemented, the rest
     * as unknown. Fields sent as null are let through.
     */
    void finish(Set<String> unsupported) {
        for (Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
            String field = it.next();
            if (read.contains(field) || body.get(field).isNull()) {
                continue;
            }
            throw unsupported.contains(field) ? OpenAiException.unsupported(field) : OpenAiException.unknown(field);
        }
    }

    static OpenAiException wrongType(String field, String expected, JsonNode got) {
        String shown = got.toString();
        return new OpenAiException(400, "invalid_request_error", "Invalid type for '" + field + "': expected "
                + expected + ", but got " + (shown.length() > 60 ? shown.substring(0, 57) + "..." : shown) + ".",
                field, "invalid_type");
    }

    private static String plain(double d) {
        return d == Math.rint(d) ? String.valueOf((long) d) : String.valueOf(d);
    }
}
