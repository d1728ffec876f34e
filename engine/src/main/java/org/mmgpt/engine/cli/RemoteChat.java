package org.mmgpt.engine.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.stream.Stream;
import org.mmgpt.engine.chat.ChatMessage;

/**
 * The chat of {@code mmgpt chat --url}: each turn is a streamed {@code POST /v1/chat/completions} to a
 * server that speaks OpenAI's API (the gateway, or any other), the reply printed as it comes.
 */
final class RemoteChat {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final URI base;
    private final String apiKey;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    /** @param apiKey sent as {@code Authorization: Bearer}; null sends none */
    RemoteChat(String url, String apiKey) {
        this.base = URI.create(url.endsWith("/") ? url : url + "/");
        this.apiKey = apiKey;
    }

    /** The model to talk to: the one asked for, else the first the server lists. */
    String model(String asked) throws IOException, InterruptedException {
        if (asked != null) {
            return asked;
        }
        HttpResponse<String> response = http.send(request("v1/models").GET().build(), HttpResponse.BodyHandlers.ofString());
        JsonNode body = body(response.statusCode(), response.body());
        JsonNode data = body.path("data");
        if (!data.isArray() || data.isEmpty()) {
            throw new IllegalStateException(base + " serves no model (GET /v1/models is empty)");
        }
        return data.get(0).path("id").asText();
    }

    /**
     * Sends the conversation, prints the reply's text as it streams, and returns the whole reply.
     *
     * @param sampling the request's sampling fields (OpenAI names)
     */
    String reply(String model, List<ChatMessage> messages, ObjectNode sampling, PrintStream out)
            throws IOException, InterruptedException {
        ObjectNode body = sampling.deepCopy();
        body.put("model", model);
        body.put("stream", true);
        ArrayNode list = body.putArray("messages");
        messages.forEach(m -> list.addObject().put("role", m.role()).put("content", m.content()));
        HttpRequest post = request("v1/chat/completions")
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)))
                .build();
        HttpResponse<Stream<String>> response = http.send(post, HttpResponse.BodyHandlers.ofLines());
        StringBuilder reply = new StringBuilder();
        try (Stream<String> lines = response.body()) {
            if (response.statusCode() != 200) {
                body(response.statusCode(), String.join("\n", lines.toList()));
            }
            for (Iterator<String> it = lines.iterator(); it.hasNext(); ) {
                String line = it.next();
                if (!line.startsWith("data:")) {
                    continue;
                }
                String data = line.substring(5).strip();
                if (data.equals("[DONE]")) {
                    break;
                }
                JsonNode chunk = JSON.readTree(data);
                if (chunk.has("error")) {
                    throw new IllegalStateException("the server failed mid-reply: " + chunk.path("error").path("message").asText());
                }
                for (JsonNode choice : chunk.path("choices")) {
                    String delta = choice.path("delta").path("content").asText("");
                    reply.append(delta);
                    out.print(delta);
                    out.flush();
                }
            }
        }
        return reply.toString();
    }

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path));
        if (apiKey != null) {
            b.header("Authorization", "Bearer " + apiKey);
        }
        return b;
    }

    /** The parsed body of a 200; otherwise the server's error message, as an exception. */
    private static JsonNode body(int status, String text) throws IOException {
        if (status == 200) {
            return JSON.readTree(text);
        }
        String message = text;
        try {
            message = JSON.readTree(text).path("error").path("message").asText(text);
        } catch (IOException e) {
            // not JSON: show it as it came
        }
        throw new IllegalStateException("HTTP " + status + ": " + message);
    }

    /** The sampling options of the command line as OpenAI request fields (only those given, plus max_tokens). */
    static ObjectNode sampling(Args a) {
        ObjectNode o = JSON.createObjectNode();
        o.put("max_tokens", a.getInt("max-new-tokens"));
        if (a.getBool("greedy")) {
            o.put("temperature", 0);
        } else if (a.has("temperature")) {
            o.put("temperature", a.getDouble("temperature"));
        }
        if (a.has("top-p")) {
            o.put("top_p", a.getDouble("top-p"));
        }
        if (a.has("top-k")) {
            o.put("top_k", a.getInt("top-k"));
        }
        if (a.has("repetition-penalty")) {
            o.put("repetition_penalty", a.getDouble("repetition-penalty"));
        }
        if (a.has("seed")) {
            o.put("seed", a.getLong("seed"));
        }
        if (!a.all("stop").isEmpty()) {
            ArrayNode stop = o.putArray("stop");
            a.all("stop").forEach(stop::add);
        }
        return o;
    }
}
