package org.mmgpt.gateway.openai;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.jboss.resteasy.reactive.RestMulti;
import org.mmgpt.gateway.inference.Generation;
import org.mmgpt.gateway.inference.InferenceClient;
import org.mmgpt.gateway.inference.InferenceFailure;
import org.mmgpt.protocol.inference.InferenceResponse;
import org.mmgpt.protocol.inference.InferenceResponse.Kind;

/**
 * The HTTP answer to a generation, in OpenAI's formats: one JSON object when the whole answer is in, or
 * server-sent events ({@code data: {...}\n\n} chunks, then {@code data: [DONE]}) as it streams.
 *
 * <p>The status is decided by the worker's first record: an error before any text (unknown model,
 * overloaded, too long) is an HTTP error with OpenAI's body; an error after the stream began is sent
 * as a last {@code data: {"error": ...}} event. A client that goes away cancels the generation.
 */
public final class Answers {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, List<String>> JSON_HEADERS = Map.of("Content-Type", List.of("application/json"));
    private static final Map<String, List<String>> SSE_HEADERS = Map.of("Content-Type", List.of("text/event-stream"),
            "Cache-Control", List.of("no-cache"), "X-Accel-Buffering", List.of("no"));
    /**
     * Quarkus REST writes each item of a streamed body followed by one "\n" (its streaming mode for a
     * non-JSON type), so an item here is an event's line, and that "\n" is the blank line ending the
     * event: on the wire, {@code data: {...}\n\n}. serving-e2e checks those bytes.
     */
    private static final String DONE = "data: [DONE]\n";

    private Answers() {
    }

    /** What the stream says so far: texts and finish reasons per choice, token counts. */
    public static final class Tally {
        private final StringBuilder[] texts;
        private final String[] finishReasons;
        private int promptTokens;
        private int completionTokens;

        Tally(int n) {
            texts = new StringBuilder[n];
            finishReasons = new String[n];
            for (int i = 0; i < n; i++) {
                texts[i] = new StringBuilder();
            }
        }

        void add(InferenceResponse r) {
            if (r.text() != null) {
                texts[r.index()].append(r.text());
            }
            if (r.kind() == Kind.END) {
                finishReasons[r.index()] = r.finishReason();
                promptTokens = r.usage().promptTokens();
                completionTokens += r.usage().completionTokens();
            }
        }

        public String text(int index) {
            return texts[index].toString();
        }

        public String finishReason(int index) {
            return finishReasons[index];
        }

        public int choices() {
            return texts.length;
        }

        public ObjectNode usage() {
            ObjectNode u = JSON.createObjectNode();
            u.put("prompt_tokens", promptTokens);
            u.put("completion_tokens", completionTokens);
            u.put("total_tokens", promptTokens + completionTokens);
            return u;
        }
    }

    /** The whole answer as one JSON object, built by {@code body} from the tally of every record. */
    public static Multi<byte[]> whole(Generation g, InferenceClient client, Function<Tally, ObjectNode> body) {
        Uni<Tally> all = g.events().collect().in(() -> new Tally(g.request().n()), Tally::add)
                .onCancellation().invoke(() -> client.abandon(g));
        return RestMulti.fromUniResponse(all, tally -> Multi.createFrom().item(utf8(body.apply(tally).toString())),
                tally -> JSON_HEADERS, tally -> 200);
    }

    /**
     * Server-sent events: {@code opening} chunks, then a chunk per record (none where {@code chunk}
     * gives null), then the {@code closing} chunk built from the tally (if any), then [DONE].
     */
    public static Multi<byte[]> stream(Generation g, InferenceClient client, List<ObjectNode> opening,
            Function<InferenceResponse, ObjectNode> chunk, Function<Tally, ObjectNode> closing) {
        Tally tally = new Tally(g.request().n());
        Multi<String> events = Multi.createBy().concatenating().streams(
                Multi.createFrom().iterable(opening).map(Answers::event),
                g.events().onItem().transformToMultiAndConcatenate(r -> {
                    tally.add(r);
                    ObjectNode c = chunk.apply(r);
                    return c == null ? Multi.createFrom().empty() : Multi.createFrom().item(event(c));
                }),
                Multi.createFrom().deferred(() -> closing == null ? Multi.createFrom().empty()
                        : Multi.createFrom().item(event(closing.apply(tally)))),
                Multi.createFrom().item(DONE))
                .onFailure(InferenceFailure.class)
                .recoverWithMulti(e -> Multi.createFrom().items(
                        "data: " + OpenAiErrors.body(((InferenceFailure) e).error()) + "\n", DONE))
                .onCancellation().invoke(() -> client.abandon(g));
        Uni<Void> started = g.started().onCancellation().invoke(() -> client.abandon(g));
        return RestMulti.fromUniResponse(started, ok -> events.map(Answers::utf8), ok -> SSE_HEADERS, ok -> 200);
    }

    /** Bytes, not strings: a String item would be written as a JSON string under an application/* type. */
    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static String event(ObjectNode chunk) {
        return "data: " + chunk + "\n";
    }

    /** The fields every object of one answer starts with, the same in each of its chunks. */
    record Head(String id, String object, long created, String model) {
        static Head of(String id, String object, String model) {
            return new Head(id, object, Instant.now().getEpochSecond(), model);
        }

        /** A new object with these fields and, for a stream that reports usage, "usage": null until the last. */
        ObjectNode start(boolean usageField) {
            ObjectNode o = JSON.createObjectNode();
            o.put("id", id);
            o.put("object", object);
            o.put("created", created);
            o.put("model", model);
            if (usageField) {
                o.putNull("usage");
            }
            return o;
        }
    }

    /** The usage chunk of a stream: no choices, the totals. */
    static ObjectNode usageChunk(Head head, Tally tally) {
        ObjectNode o = head.start(false);
        o.putArray("choices");
        o.set("usage", tally.usage());
        return o;
    }

    static List<Integer> indices(int n) {
        List<Integer> indices = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            indices.add(i);
        }
        return indices;
    }

    public static ObjectNode node() {
        return JSON.createObjectNode();
    }
}
