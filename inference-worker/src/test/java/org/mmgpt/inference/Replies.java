package org.mmgpt.inference;

import static org.awaitility.Awaitility.await;

import io.smallrye.reactive.messaging.kafka.companion.ConsumerTask;
import io.smallrye.reactive.messaging.kafka.companion.KafkaCompanion;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.mmgpt.protocol.inference.InferenceResponse;
import org.mmgpt.protocol.inference.InferenceResponse.Kind;
import org.mmgpt.protocol.json.Json;
import org.mmgpt.protocol.topics.Topics;

/** A test's view of the responses topic: every answer since it was opened, by request id. */
final class Replies implements AutoCloseable {

    private final ConsumerTask<String, String> records;

    Replies(KafkaCompanion companion) {
        records = companion.consumeStrings().fromTopics(Topics.INFERENCE_RESPONSES);
    }

    /** The records of one request, in the order the worker sent them. */
    List<InferenceResponse> of(String requestId) {
        return records.getRecords().stream()
                .filter(r -> requestId.equals(r.key()))
                .map(r -> Json.read(r.value().getBytes(StandardCharsets.UTF_8), InferenceResponse.class))
                .toList();
    }

    /** The records of one request with the header and partition it was sent to. */
    List<ConsumerRecord<String, String>> raw(String requestId) {
        return records.getRecords().stream().filter(r -> requestId.equals(r.key())).toList();
    }

    static String replyTo(ConsumerRecord<String, String> record) {
        Header h = record.headers().lastHeader(Topics.REPLY_TO_HEADER);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    /** Waits until the request has {@code ends} end records, or an error. */
    List<InferenceResponse> awaitDone(String requestId, int ends, Duration wait) {
        await().atMost(wait).until(() -> done(of(requestId), ends));
        return of(requestId);
    }

    static boolean done(List<InferenceResponse> answer, int ends) {
        return answer.stream().anyMatch(r -> r.kind() == Kind.ERROR)
                || answer.stream().filter(r -> r.kind() == Kind.END).count() >= ends;
    }

    static Optional<InferenceResponse> error(List<InferenceResponse> answer) {
        return answer.stream().filter(r -> r.kind() == Kind.ERROR).findFirst();
    }

    /** Choice {@code index}'s whole text: its streamed pieces, or the text its end record carries. */
    static String text(List<InferenceResponse> answer, int index) {
        StringBuilder text = new StringBuilder();
        for (InferenceResponse r : answer) {
            if (r.index() == index && (r.kind() == Kind.TEXT || r.kind() == Kind.END) && r.text() != null) {
                text.append(r.text());
            }
        }
        return text.toString();
    }

    static InferenceResponse end(List<InferenceResponse> answer, int index) {
        return answer.stream().filter(r -> r.kind() == Kind.END && r.index() == index).findFirst().orElseThrow();
    }

    @Override
    public void close() {
        records.stop();
    }
}
