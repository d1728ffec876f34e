package org.mmgpt.engine.generate;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.mmgpt.engine.Djl;
import org.mmgpt.engine.chat.ChatMessage;
import org.mmgpt.engine.chat.ChatTemplate;
import org.mmgpt.engine.chat.ChatTemplates;
import org.mmgpt.engine.lora.PeftAdapter;
import org.mmgpt.engine.model.CausalLM;
import org.mmgpt.engine.tokenizer.StreamingDecoder;
import org.mmgpt.engine.tokenizer.Tokenizer;

/**
 * A model ready to talk: the network, its tokenizer, its generation defaults and (optionally) a LoRA
 * adapter, loaded from one Hugging Face directory. What the command line and the inference worker
 * serve.
 */
public final class LanguageModel implements AutoCloseable {
    private final Path dir;
    private final CausalLM model;
    private final Tokenizer tokenizer; // null when the directory has no tokenizer.json
    private final GenerationConfig generation;

    private LanguageModel(Path dir, CausalLM model, Tokenizer tokenizer, GenerationConfig generation) {
        this.dir = dir;
        this.model = model;
        this.tokenizer = tokenizer;
        this.generation = generation;
    }

    /**
     * Loads {@code dir}; {@code adapter} (a PEFT directory) may be null. Decoding is split across the
     * configured compute threads ({@link Djl#threads()}); with an adapter it runs on one.
     */
    public static LanguageModel load(Path dir, Path adapter) {
        CausalLM model = CausalLM.load(dir);
        try {
            if (adapter != null) {
                PeftAdapter.load(model, adapter);
            }
            model.splitDecoding(Djl.threads());
            Tokenizer tok = Files.isRegularFile(dir.resolve("tokenizer.json")) ? Tokenizer.load(dir) : null;
            GenerationConfig g = GenerationConfig.read(dir);
            Set<Long> eos = new HashSet<>(g.eosTokenIds());
            model.config().eosTokenIds().forEach(id -> eos.add(id.longValue()));
            if (tok != null) {
                tok.eosTokenId().ifPresent(eos::add);
            }
            return new LanguageModel(dir, model, tok, g.withEos(eos));
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    public Path dir() {
        return dir;
    }

    public CausalLM model() {
        return model;
    }

    public GenerationConfig generationConfig() {
        return generation;
    }

    public Tokenizer tokenizer() {
        if (tokenizer == null) {
            throw new IllegalArgumentException(dir + " has no tokenizer.json: text needs a tokenizer");
        }
        return tokenizer;
    }

    public boolean hasTokenizer() {
        return tokenizer != null;
    }

    /** Sampling defaults of this model: generation_config.json, stopping at every eos id. */
    public SamplingParams.Builder defaults() {
        return SamplingParams.from(generation);
    }

    /** The named template, else the model's own chat_template, else an error saying to name one. */
    public ChatTemplate template(String name) {
        return ChatTemplates.resolve(name, tokenizer());
    }

    /** The conversation as prompt ids, ending where the assistant's reply begins. */
    public long[] chatPrompt(ChatTemplate template, List<ChatMessage> messages) {
        return tokenizer().encode(template.render(messages, true));
    }

    /** A sequence whose text streams through this model's tokenizer (ids only without one). */
    public Sequence sequence(long[] prompt, SamplingParams params, Sequence.Listener listener) {
        StreamingDecoder decoder = tokenizer == null ? null : new StreamingDecoder(tokenizer, true);
        return new Sequence(prompt, params, decoder, listener);
    }

    @Override
    public void close() {
        model.close();
        if (tokenizer != null) {
            tokenizer.close();
        }
    }
}
