package org.mmgpt.gateway;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** A plain server-sent-events reader over the JDK's HTTP client, for asserting what a browser would get. */
final class SseClient implements AutoCloseable {

    /** One event as it came over the wire. */
    record Event(String id, String data) {
    }

    private static final Event END = new Event(null, null);

    private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    private final Thread reader;
    private final int status;
    private volatile Stream<String> lines;

    SseClient(URI uri, String lastEventId) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).header("Accept", "text/event-stream");
        if (lastEventId != null) {
            request.header("Last-Event-ID", lastEventId);
        }
        HttpResponse<Stream<String>> response = HttpClient.newHttpClient()
                .send(request.build(), HttpResponse.BodyHandlers.ofLines());
        status = response.statusCode();
        lines = response.body();
        reader = new Thread(this::read, "sse-reader");
        reader.setDaemon(true);
        reader.start();
    }

    int status() {
        return status;
    }

    private void read() {
        String id = null;
        StringBuilder data = new StringBuilder();
        try {
            for (String line : (Iterable<String>) lines::iterator) {
                if (line.isEmpty()) {
                    if (data.length() > 0) {
                        events.add(new Event(id, data.toString()));
                    }
                    id = null;
                    data.setLength(0);
                } else if (line.startsWith("id:")) {
                    id = line.substring(3).strip();
                } else if (line.startsWith("data:")) {
                    data.append(line.substring(5).strip());
                }
            }
        } catch (RuntimeException e) {
            // closed
        } finally {
            events.add(END);
        }
    }

    /** The next event, or null when the stream ended; fails after the timeout. */
    Event next(Duration timeout) throws InterruptedException {
        Event event = events.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (event == null) {
            throw new AssertionError("no event and no end of stream within " + timeout);
        }
        return event == END ? null : event;
    }

    /** Every event until the stream ends. */
    List<Event> rest(Duration timeout) throws InterruptedException {
        List<Event> all = new ArrayList<>();
        for (Event event = next(timeout); event != null; event = next(timeout)) {
            all.add(event);
        }
        return all;
    }

    /** True if nothing arrives within the time. */
    boolean quietFor(Duration time) throws InterruptedException {
        Event event = events.poll(time.toMillis(), TimeUnit.MILLISECONDS);
        if (event != null) {
            events.add(event);
        }
        return event == null;
    }

    @Override
    public void close() {
        Stream<String> open = lines;
        if (open != null) {
            open.close();
        }
    }
}
