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
 * {@code inference.py --interactive}), with a model loaded here or, with {@code --url}, a model served
 * by the gateway's OpenAI API. {@code clear} starts over, {@code exit} ends.
 */
final class ChatCommand implements Command {
    @Override
    public String name() {
        return "chat";
    }

    @Override
    public Args options() {
        return Sampling.declare(new Args(name(), "chat with a model in the terminal (clear / exit)")
                .option("model", "DIR", null, "Hugging Face model directory (with --url: a served model id;"
                        + " default the first the server lists)")
                .option("adapter", "DIR", null, "a PEFT LoRA adapter to apply")
                .option("template", "NAME", null, "named template (default: the model's chat_template)")
                .option("system", "TEXT", null, "system prompt")
                .option("url", "URL", null, "chat with a server's OpenAI API instead (e.g. http://localhost:8000)")
                .option("api-key", "KEY", null, "with --url: the API key (default: $MMGPT_API_KEY)"));
    }

    /** One reply to the conversation so far, printed as it streams; returns its whole text. */
    @FunctionalInterface
    private interface Replier {
        String reply(List<ChatMessage> messages, PrintStream out) throws Exception;
    }

    @Override
    public void run(Args a) throws Exception {
        Sampling.check(a);
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        if (a.has("url")) {
            if (a.has("adapter") || a.has("template")) {
                throw new Args.UsageException("--adapter and --template are the server's business with --url");
            }
            String key = a.has("api-key") ? a.get("api-key") : System.getenv("MMGPT_API_KEY");
            RemoteChat remote = new RemoteChat(a.get("url"), key);
            String model = remote.model(a.get("model"));
            converse(a, out, model + " at " + a.get("url"),
                    (messages, o) -> remote.reply(model, messages, RemoteChat.sampling(a), o));
            return;
        }
        try (LanguageModel lm = LanguageModel.load(Path.of(a.require("model")),
                a.has("adapter") ? Path.of(a.get("adapter")) : null)) {
            ChatTemplate template = lm.template(a.get("template"));
            SamplingParams params = Sampling.apply(a, lm.defaults())
                    .stopStrings(Sampling.withTemplateStops(a, template)).build();
            converse(a, out, lm.dir().toString(), (messages, o) -> {
                Sequence seq = lm.sequence(lm.chatPrompt(template, messages), params, new Sequence.Listener() {
                    @Override
                    public void onToken(Sequence s, int id, String delta) {
                        o.print(delta);
                        o.flush();
                    }
                });
                Generator.run(lm.model(), List.of(seq));
                return seq.text();
            });
        }
    }

    private static void converse(Args a, PrintStream out, String with, Replier replier) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        List<ChatMessage> history = new ArrayList<>();
        out.println("chat with " + with + " — 'clear' starts over, 'exit' ends");
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
            String reply = replier.reply(messages, out);
            out.println();
            history.add(ChatMessage.user(line));
            history.add(ChatMessage.assistant(reply));
        }
    }
}
