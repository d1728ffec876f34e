package org.mmgpt.engine.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.mmgpt.engine.chat.ChatMessage;
import org.mmgpt.engine.chat.ChatTemplate;
import org.mmgpt.engine.generate.Generator;
import org.mmgpt.engine.generate.LanguageModel;
import org.mmgpt.engine.generate.SamplingParams;
import org.mmgpt.engine.generate.Sequence;

/** {@code mmgpt generate}: continue one prompt (raw text, token ids, or a chat turn). */
final class GenerateCommand implements Command {
    @Override
    public String name() {
        return "generate";
    }

    @Override
    public Args options() {
        return Sampling.declare(new Args(name(), "continue a prompt and print the new text")
                .option("model", "DIR", null, "Hugging Face model directory")
                .option("adapter", "DIR", null, "a PEFT LoRA adapter to apply")
                .option("prompt", "TEXT", null, "the prompt text")
                .option("prompt-ids", "1,2,3", null, "the prompt as token ids")
                .flag("chat", "format --prompt as a user turn with the chat template")
                .option("template", "NAME", null, "named template for --chat (default: the model's chat_template)")
                .option("system", "TEXT", null, "system prompt for --chat")
                .flag("json", "print {\"ids\": [...], \"text\": \"...\"} of the new tokens only"));
    }

    @Override
    public void run(Args a) throws Exception {
        if (a.has("prompt") == a.has("prompt-ids")) {
            throw new Args.UsageException("give exactly one of --prompt and --prompt-ids");
        }
        Sampling.check(a);
        try (LanguageModel lm = LanguageModel.load(Path.of(a.require("model")),
                a.has("adapter") ? Path.of(a.get("adapter")) : null)) {
            SamplingParams.Builder params = Sampling.apply(a, lm.defaults());
            long[] prompt;
            if (a.has("prompt-ids")) {
                prompt = a.getIds("prompt-ids");
            } else if (a.getBool("chat")) {
                ChatTemplate template = lm.template(a.get("template"));
                List<ChatMessage> messages = new ArrayList<>();
                if (a.has("system")) {
                    messages.add(ChatMessage.system(a.get("system")));
                }
                messages.add(ChatMessage.user(a.get("prompt")));
                prompt = lm.chatPrompt(template, messages);
                params.stopStrings(Sampling.withTemplateStops(a, template));
            } else {
                prompt = lm.tokenizer().encode(a.get("prompt"));
            }
            boolean json = a.getBool("json");
            PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
            Sequence seq = lm.sequence(prompt, params.build(), new Sequence.Listener() {
                @Override
                public void onToken(Sequence s, int id, String delta) {
                    if (!json) {
                        out.print(delta);
                    }
                }
            });
            Generator.run(lm.model(), List.of(seq));
            if (json) {
                ObjectMapper mapper = new ObjectMapper();
                ObjectNode o = mapper.createObjectNode();
                var ids = o.putArray("ids");
                for (long id : seq.generated()) {
                    ids.add(id);
                }
                o.put("text", seq.text());
                o.put("finish_reason", seq.finishReason().openAiName());
                out.println(mapper.writeValueAsString(o));
            } else {
                out.println();
            }
        }
    }
}
