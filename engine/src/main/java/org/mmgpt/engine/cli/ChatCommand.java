package org.mmgpt.engine.cli;

import java.io.BufferedReader;
import java.io.InputStreamReader;
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

/**
 * {@code mmgpt chat}: a multi-turn conversation in the terminal with streamed replies (the seed's
 * {@code inference.py --interactive}). {@code clear} starts over, {@code exit} ends.
 */
final class ChatCommand implements Command {
    @Override
    public String name() {
        return "chat";
    }

    @Override
    public Args options() {
        return Sampling.declare(new Args(name(), "chat with a model in the terminal (clear / exit)")
                .option("model", "DIR", null, "Hugging Face model directory")
                .option("adapter", "DIR", null, "a PEFT LoRA adapter to apply")
                .option("template", "NAME", null, "named template (default: the model's chat_template)")
                .option("system", "TEXT", null, "system prompt"));
    }

    @Override
    public void run(Args a) throws Exception {
        Sampling.check(a);
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        try (LanguageModel lm = LanguageModel.load(Path.of(a.require("model")),
                a.has("adapter") ? Path.of(a.get("adapter")) : null)) {
            ChatTemplate template = lm.template(a.get("template"));
            SamplingParams params = Sampling.apply(a, lm.defaults())
                    .stopStrings(Sampling.withTemplateStops(a, template)).build();
            List<ChatMessage> history = new ArrayList<>();
            out.println("chat with " + lm.dir() + " — 'clear' starts over, 'exit' ends");
            while (true) {
                out.print("\nuser> ");
                out.flush();
                String line = in.readLine();
                if (line == null || line.trim().equals("exit") || line.trim().equals("quit")) {
                    break;
                }
                if (line.trim().equals("clear")) {
                    history.clear();
                    out.println("(history cleared)");
                    continue;
                }
                if (line.isBlank()) {
                    continue;
                }
                List<ChatMessage> messages = new ArrayList<>();
                if (a.has("system")) {
                    messages.add(ChatMessage.system(a.get("system")));
                }
                messages.addAll(history);
                messages.add(ChatMessage.user(line));
                out.print("assistant> ");
                Sequence seq = lm.sequence(lm.chatPrompt(template, messages), params, new Sequence.Listener() {
                    @Override
                    public void onToken(Sequence s, int id, String delta) {
                        out.print(delta);
                        out.flush();
                    }
                });
                Generator.run(lm.model(), List.of(seq));
                out.println();
                history.add(ChatMessage.user(line));
                history.add(ChatMessage.assistant(seq.text()));
            }
        }
    }
}
