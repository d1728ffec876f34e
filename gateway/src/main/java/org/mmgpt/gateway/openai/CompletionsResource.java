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
import org.mmgpt.gateway.openai.OpenAiRequests.Completion;
import org.mmgpt.protocol.inference.InferenceResponse;
import org.mmgpt.protocol.inference.InferenceResponse.Kind;

/** POST /v1/completions: a raw prompt continued, with {@code echo} putting the prompt before the text. */
@Path("/v1/completions")
public class CompletionsResource {

    @Inject
    OpenAiRequests requests;
    @Inject
    InferenceClient client;

    /** JSON, or server-sent events when the body asks to stream: the media types as {@link ChatCompletionsResource#create}. */
    @POST
    @Produces("application/*")
    public Multi<byte[]> create(byte[] body) {
        Completion c = requests.completion(body);
        Generation g = client.generate(c.model(), null, c.prompt(), c.sampling(), c.n(), c.stream());
        Head head = Head.of("cmpl-" + g.request().requestId(), "text_completion", c.model());
        String echo = c.echo() ? c.prompt() : "";
        if (!c.stream()) {
            return Answers.whole(g, client, tally -> completion(head, echo, tally));
        }
        List<ObjectNode> opening = c.echo()
                ? Answers.indices(c.n()).stream().map(i -> chunk(head, c.includeUsage(), i, echo, null)).toList()
                : List.of();
        return Answers.stream(g, client, opening, r -> chunk(head, c.includeUsage(), r),
                c.includeUsage() ? tally -> Answers.usageChunk(head, tally) : null);
    }

    private static ObjectNode completion(Head head, String echo, Tally tally) {
        ObjectNode o = head.start(false);
        var choices = o.putArray("choices");
        for (int i = 0; i < tally.choices(); i++) {
            ObjectNode choice = choices.addObject();
            choice.put("text", echo + tally.text(i));
            choice.put("index", i);
            choice.putNull("logprobs");
            choice.put("finish_reason", tally.finishReason(i));
        }
        o.set("usage", tally.usage());
        return o;
    }

    private static ObjectNode chunk(Head head, boolean usage, InferenceResponse r) {
        return chunk(head, usage, r.index(), r.kind() == Kind.TEXT ? r.text() : "",
                r.kind() == Kind.END ? r.finishReason() : null);
    }

    private static ObjectNode chunk(Head head, boolean usage, int index, String text, String finishReason) {
        ObjectNode o = head.start(usage);
        ObjectNode choice = o.putArray("choices").addObject();
        choice.put("text", text);
        choice.put("index", index);
        choice.putNull("logprobs");
        choice.put("finish_reason", finishReason);
        return o;
    }
}
