package org.mmgpt.gateway.chat;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smallrye.mutiny.Multi;
import jakarta.inject.Inject;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import java.util.List;
import org.mmgpt.gateway.inference.Generation;
import org.mmgpt.gateway.inference.InferenceClient;
import org.mmgpt.gateway.openai.Answers;
import org.mmgpt.gateway.openai.Answers.Tally;
import org.mmgpt.gateway.openai.OpenAiRequests;
import org.mmgpt.gateway.openai.OpenAiRequests.ChatTurn;
import org.mmgpt.protocol.inference.InferenceResponse.Kind;

/**
 * POST /chat, the seed's FastAPI form: {@code {"message", "history", "system"?}} →
 * {@code {"response", "history"}}, the history given back with the new [message, response] pair.
 * With {@code "stream": true}: server-sent events {@code {"delta"}}, then one with the whole
 * {@code {"response", "history", "finish_reason"}}, then [DONE]. Takes the OpenAI API's sampling
 * fields (max_tokens, temperature, top_p, top_k, seed, stop, penalties); errors in its shape too.
 */
@Path("/chat")
public class ChatResource {

    @Inject
    OpenAiRequests requests;
    @Inject
    InferenceClient client;

    /** JSON, or server-sent events when the body asks to stream: the media types as {@link org.mmgpt.gateway.openai.ChatCompletionsResource#create}. */
    @POST
    @Produces("application/*")
    public Multi<byte[]> chat(byte[] body) {
        ChatTurn turn = requests.chatTurn(body);
        Generation g = client.generate(turn.model(), turn.messages(), null, turn.sampling(), 1, turn.stream());
        if (!turn.stream()) {
            return Answers.whole(g, client, tally -> reply(turn, tally));
        }
        return Answers.stream(g, client, List.of(), r -> r.kind() == Kind.TEXT ? Answers.node().put("delta", r.text()) : null,
                tally -> reply(turn, tally));
    }

    private static ObjectNode reply(ChatTurn turn, Tally tally) {
        ObjectNode o = Answers.node();
        o.put("response", tally.text(0));
        ArrayNode history = o.putArray("history");
        turn.history().forEach(pair -> history.addArray().add(pair.get(0)).add(pair.get(1)));
        history.addArray().add(turn.message()).add(tally.text(0));
        o.put("finish_reason", tally.finishReason(0));
        return o;
    }
}
