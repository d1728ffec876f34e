package org.mmgpt.e2e.harness;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/** The gateway's REST API as a client sees it: JSON over HTTP, and server-sent events. */
public final class Gateway {

    public static final Set<String> TERMINAL = Set.of("SUCCEEDED", "FAILED", "CANCELLED");
    private static final ObjectMapper JSON = new ObjectMapper();

    /** An HTTP answer: its status and its body (parsed when it is JSON). */
    public record Response(int status, String text) {
        public JsonNode json() {
            try {
                return JSON.readTree(text);
            } catch (JsonProcessingException e) {
                throw new AssertionError("not JSON (status " + status + "): " + text, e);
            }
        }
    }

    private final URI base;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    public Gateway(URI base) {
        this.base = base;
    }

    public URI uri() {
        return base;
    }

    public Response get(String path) {
        return send(HttpRequest.newBuilder(base.resolve(path)).GET());
    }

    public Response post(String path, String body) {
        return send(HttpRequest.newBuilder(base.resolve(path))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    public Response post(String path, Object body) {
        try {
            return post(path, JSON.writeValueAsString(body));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(e);
        }
    }

    /** POST /v1/jobs; the job must be accepted (201). Returns the QUEUED job. */
    public JsonNode submit(String type, Map<String, Object> params) {
        Response response = post("/v1/jobs", Map.of("type", type, "params", params));
        if (response.status() != 201) {
            throw new AssertionError("job refused with " + response.status() + ": " + response.text());
        }
        return response.json();
    }

    public JsonNode job(String id) {
        Response response = get("/v1/jobs/" + id);
        if (response.status() != 200) {
            throw new AssertionError("GET /v1/jobs/" + id + " answered " + response.status() + ": " + response.text());
        }
        return response.json();
    }

    /** Polls the job until it has ended (SUCCEEDED, FAILED or CANCELLED) and returns it. */
    public JsonNode awaitEnd(String id, Duration max) {
        JsonNode[] last = {null};
        return Waits.until("job " + id + " to end", max, Duration.ofMillis(500), () -> {
            Response response = get("/v1/jobs/" + id);
            if (response.status() != 200) {
                return Optional.empty();
            }
            last[0] = response.json();
            return TERMINAL.contains(last[0].path("state").asText()) ? Optional.of(last[0]) : Optional.empty();
        }, () -> String.valueOf(last[0]));
    }

    /**
     * The job's server-sent events, read until the stream ends (for a job that has ended: its whole
     * history, then the end of the stream). Each event's {@code id} is checked against its seq.
     */
    public List<JsonNode> events(String id, Duration max) {
        HttpRequest request = HttpRequest.newBuilder(base.resolve("/v1/jobs/" + id + "/events"))
                .header("Accept", "text/event-stream").timeout(max).build();
        try {
            HttpResponse<Stream<String>> response = http.send(request, HttpResponse.BodyHandlers.ofLines());
            if (response.statusCode() != 200) {
                throw new AssertionError("events of " + id + " answered " + response.statusCode());
            }
            List<JsonNode> events = new ArrayList<>();
            try (Stream<String> lines = response.body()) {
                EventStream.parse(lines, events::add);
            }
            return events;
        } catch (IOException e) {
            throw new UncheckedIOException("reading the events of " + id, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * Opens the job's server-sent events and reads them on a thread of its own; with
     * {@code lastEventId}, as a client reconnecting after that event (the Last-Event-ID header).
     */
    public EventStream stream(String id, Long lastEventId) {
        HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve("/v1/jobs/" + id + "/events"))
                .header("Accept", "text/event-stream");
        if (lastEventId != null) {
            request.header("Last-Event-ID", lastEventId.toString());
        }
        return new EventStream(id, http.sendAsync(request.build(), HttpResponse.BodyHandlers.ofLines()));
    }

    /** Every job the gateway knows (GET /v1/jobs, all pages), by id. */
    public Map<String, JsonNode> jobs() {
        Map<String, JsonNode> jobs = new LinkedHashMap<>();
        int offset = 0;
        while (true) {
            Response page = get("/v1/jobs?limit=500&offset=" + offset);
            if (page.status() != 200) {
                throw new AssertionError("GET /v1/jobs answered " + page.status() + ": " + page.text());
            }
            JsonNode items = page.json().get("items");
            items.forEach(job -> jobs.put(job.get("id").asText(), job));
            offset += items.size();
            if (items.isEmpty() || offset >= page.json().get("total").asInt()) {
                return jobs;
            }
        }
    }

    private Response send(HttpRequest.Builder request) {
        try {
            HttpResponse<String> response = http.send(request.timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return new Response(response.statusCode(), response.body());
        } catch (IOException e) {
            throw new UncheckedIOException("calling the gateway at " + base, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
