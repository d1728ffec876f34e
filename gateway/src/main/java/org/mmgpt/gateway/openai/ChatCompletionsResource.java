package org.mmgpt.gateway.openai;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smallrye.mutiny.Multi;
import jakarta.inject.Inject;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import java.util.List;
import org.mmgpt.gateway.inference.Generation;
import org.mmgpt.gateway.inference.InferenceClient;
import org.mmgpt.gateway.openai.Answers.Head;
import org.mmgpt.gateway.openai.Answers.Tally;
import org.mmgpt.gateway.openai.OpenAiRequests.Chat;
import org.mmgpt.protocol.inference.InferenceResponse;
import org.mmgpt.protocol.inference.InferenceResponse.Kind;

/** POST /v1/chat/completions, as OpenAI's API and vLLM's server answer it. */
@Path("/v1/chat/completions")
public class ChatCompletionsResource {

    @Inject
    OpenAiRequests requests;
    @Inject
    InferenceClient client;

    /**
     * JSON, or server-sent events when the body asks to stream; the Content-Type is set per answer.
     * "application/*" lets through OpenAI's clients (they accept application/json, even for streams) and
     * any client accepting anything, yet keeps the framework from framing the chunks itself (it would
     * wrap them as SSE events for a text/event-stream or wildcard type, in a JSON array for JSON).
     * Clients that accept only text/event-stream are let in by {@link StreamAccept}.
     */
    @POST
    @Produces("application/*")
    public Multi<byte[]> create(byte[] body) {
        Chat chat = requests.chat(body);
        Generation g = client.generate(chat.model(), chat.messages(), null, chat.sampling(), chat.n(), chat.stream());
        if (!chat.stream()) {
            Head head = Head.of("chatcmpl-" + g.request().requestId(), "chat.completion", chat.model());
            return Answers.whole(g, client, tally -> completion(head, tally));
        }
        Head head = Head.of("chatcmpl-" + g.request().requestId(), "chat.completion.chunk", chat.model());
        List<ObjectNode> roles = Answers.indices(chat.n()).stream().map(i -> {
            ObjectNode delta = Answers.node();
            delta.put("role", "assistant");
            delta.put("content", "");
            return chunk(head, chat.includeUsage(), i, delta, null);
        }).toList();
        return Answers.stream(g, client, roles, r -> chunk(head, chat.includeUsage(), r),
                chat.includeUsage() ? tally -> Answers.usageChunk(head, tally) : null);
    }

    private static ObjectNode completion(Head head, Tally tally) {
        ObjectNode o = head.start(false);
        var choices = o.putArray("choices");
        for (int i = 0; i < tally.choices(); i++) {
            ObjectNode choice = choices.addObject();
            choice.put("index", i);
            ObjectNode message = choice.putObject("message");
            message.put("role", "assistant");
            message.put("content", tally.text(i));
            choice.putNull("logprobs");
            choice.put("finish_reason", tally.finishReason(i));
        }
        o.set("usage", tally.usage());
        return o;
    }

    private static ObjectNode chunk(Head head, boolean usage, InferenceResponse r) {
        ObjectNode delta = Answers.node();
        if (r.kind() == Kind.TEXT) {
            delta.put("content", r.text());
        }
        return chunk(head, usage, r.index(), delta, r.kind() == Kind.END ? r.finishReason() : null);
    }

    private static ObjectNode chunk(Head head, boolean usage, int index, ObjectNode delta, String finishReason) {
        ObjectNode o = head.start(usage);
        ObjectNode choice = o.putArray("choices").addObject();
        choice.put("index", index);
        choice.set("delta", delta);
        choice.putNull("logprobs");
        choice.put("finish_reason", finishReason);
        return o;
    }
}
