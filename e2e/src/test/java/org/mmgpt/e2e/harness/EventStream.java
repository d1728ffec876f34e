package org.mmgpt.e2e.harness;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * A job's server-sent event stream read as a client does, on a thread of its own: the events arrive
 * in {@link #events()} while the test does other things (kills the gateway, stops the broker). The
 * stream either ends (the job ended: {@link #ended()}) or breaks (the connection was lost:
 * {@link #broken()}). Each event's {@code id} is checked against its seq.
 */
public final class EventStream implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String jobId;
    private final List<JsonNode> events = new CopyOnWriteArrayList<>();
    private final Thread reader;
    private volatile Stream<String> lines;
    private volatile boolean ended;
    private volatile Throwable broken;

    EventStream(String jobId, CompletableFuture<HttpResponse<Stream<String>>> response) {
        this.jobId = jobId;
        this.reader = new Thread(() -> read(response), "sse-" + jobId);
        reader.setDaemon(true);
        reader.start();
    }

    private void read(CompletableFuture<HttpResponse<Stream<String>>> response) {
        try {
            HttpResponse<Stream<String>> answer = response.get();
            lines = answer.body();
            try (Stream<String> body = lines) {
                if (answer.statusCode() != 200) {
                    throw new AssertionError("events of " + jobId + " answered " + answer.statusCode());
                }
                parse(body, events::add);
            }
            ended = true;
        } catch (ExecutionException e) {
            broken = e.getCause();
        } catch (InterruptedException e) {
            broken = e;
        } catch (RuntimeException | AssertionError e) {
            broken = e;
        }
    }

    /**
     * Reads SSE lines ({@code id:}, {@code data:}, a blank line ends an event) and hands each event on;
     * fails when an event's id is not its seq.
     */
    static void parse(Stream<String> lines, Consumer<JsonNode> sink) {
        String eventId = null;
        StringBuilder data = new StringBuilder();
        for (String line : (Iterable<String>) lines::iterator) {
            if (line.startsWith("id:")) {
                eventId = line.substring(3).strip();
            } else if (line.startsWith("data:")) {
                data.append(line.substring(5).strip());
            } else if (line.isEmpty() && data.length() > 0) {
                JsonNode event;
                try {
                    event = JSON.readTree(data.toString());
                } catch (JsonProcessingException e) {
                    throw new UncheckedIOException(e);
                }
                if (!String.valueOf(event.path("seq").asLong()).equals(eventId)) {
                    throw new AssertionError("event id " + eventId + " is not its seq: " + event);
                }
                sink.accept(event);
                eventId = null;
                data.setLength(0);
            }
        }
    }

    /** The events received so far, in order. */
    public List<JsonNode> events() {
        return new ArrayList<>(events);
    }

    /** The seq of the last event received, the Last-Event-ID to reconnect with. */
    public Optional<Long> lastSeq() {
        List<JsonNode> all = events();
        return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1).get("seq").asLong());
    }

    /** The server closed the stream after the job's last event. */
    public boolean ended() {
        return ended;
    }

    /** The connection failed (the gateway died); null while it has not. */
    public Throwable broken() {
        return broken;
    }

    /** Waits until the stream has ended or broken. */
    public EventStream awaitClosed(Duration max) {
        Waits.until("the event stream of " + jobId + " to close", max, Duration.ofMillis(100),
                () -> ended || broken != null ? Optional.of(true) : Optional.empty(), () -> events().toString());
        return this;
    }

    /** Waits until at least {@code count} events have arrived. */
    public EventStream awaitEvents(int count, Duration max) {
        Waits.until(count + " events of " + jobId, max, Duration.ofMillis(100),
                () -> events.size() >= count ? Optional.of(true) : Optional.empty(), () -> events().toString());
        return this;
    }

    @Override
    public void close() {
        Stream<String> body = lines;
        if (body != null) {
            body.close();
        }
        reader.interrupt();
    }
}
