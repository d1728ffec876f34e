package org.mmgpt.engine.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;
import org.mmgpt.engine.Djl;

/**
 * A Hugging Face tokenizer folder: {@code tokenizer.json} run by the Rust tokenizers library (through
 * DJL) and {@code tokenizer_config.json} for the special tokens and the chat template.
 *
 * <p>Encoding adds no special tokens: chat templates write them as text (HF's apply_chat_template
 * encodes with add_special_tokens=False too), and special tokens written in the text, such as
 * {@code <|im_start|>}, become their single ids. Nothing is truncated or padded: DJL would otherwise cut
 * every text at 512 tokens without a word. Where a model wants a BOS before plain text (pretraining),
 * {@link #addBosToken()} says so and the caller prepends {@link #bosTokenId()}.
 */
public final class Tokenizer implements AutoCloseable {
    static final String TOKENIZER_JSON = "tokenizer.json";
    static final String CONFIG_JSON = "tokenizer_config.json";
    /** Since transformers 4.43 a saved tokenizer may keep its template beside the config. */
    static final String TEMPLATE_FILE = "chat_template.jinja";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String[] SPECIAL_TOKEN_KEYS = {
        "bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"
    };

    private final Path directory;
    private final HuggingFaceTokenizer hf;
    private final Map<String, Long> vocab;
    private final int vocabSize;
    private final Set<Long> specialIds;
    private final Map<String, String> specialTokens;
    private final boolean addBosToken;
    private final boolean cleanUpSpaces;
    private final String chatTemplate;

    private Tokenizer(Path directory, HuggingFaceTokenizer hf, Map<String, Long> vocab, Set<Long> specialIds,
            Map<String, String> specialTokens, boolean addBosToken, boolean cleanUpSpaces, String chatTemplate) {
        this.directory = directory;
        this.hf = hf;
        this.vocab = vocab;
        this.vocabSize = (int) vocab.values().stream().distinct().count();
        this.specialIds = Collections.unmodifiableSet(specialIds);
        this.specialTokens = Collections.unmodifiableMap(specialTokens);
        this.addBosToken = addBosToken;
        this.cleanUpSpaces = cleanUpSpaces;
        this.chatTemplate = chatTemplate;
    }

    /**
     * Loads a tokenizer folder. {@code tokenizer.json} is required; {@code tokenizer_config.json} may
     * be absent (then there are no special-token names and no chat template), but if present it must
     * be well formed. Errors name the file at fault.
     */
    public static Tokenizer load(Path dir) {
        Path tokenizerFile = dir.resolve(TOKENIZER_JSON);
        byte[] tokenizerBytes = read(tokenizerFile).orElseThrow(() -> new IllegalArgumentException(
                "no " + TOKENIZER_JSON + " in " + dir + ": point at a Hugging Face tokenizer folder"));
        JsonNode tokenizerJson = parse(tokenizerFile, tokenizerBytes);
        Path configFile = dir.resolve(CONFIG_JSON);
        JsonNode config = read(configFile).map(bytes -> parse(configFile, bytes))
                .orElse(JSON.createObjectNode());
        if (!config.isObject()) {
            throw malformed(configFile, "the top level must be a JSON object");
        }

        Map<String, Long> vocab = vocabulary(tokenizerFile, tokenizerJson);
        Set<Long> specialIds = new TreeSet<>();
        addedTokens(tokenizerFile, tokenizerJson, vocab, specialIds);
        addedTokensDecoder(configFile, config, vocab, specialIds);

        Map<String, String> specialTokens = new LinkedHashMap<>();
        for (String key : SPECIAL_TOKEN_KEYS) {
            tokenText(configFile, config, key).ifPresent(token -> {
                specialTokens.put(key, token);
                Long id = vocab.get(token);
                if (id == null) {
                    throw malformed(configFile, key + " '" + token + "' is not in the vocabulary of " + tokenizerFile);
                }
                specialIds.add(id);
            });
        }
        boolean addBos = bool(configFile, config, "add_bos_token");
        boolean cleanUp = bool(configFile, config, "clean_up_tokenization_spaces");
        String template = read(dir.resolve(TEMPLATE_FILE))
                .map(bytes -> new String(bytes, StandardCharsets.UTF_8))
                .orElseGet(() -> chatTemplate(configFile, config.get("chat_template")));

        Djl.init();
        HuggingFaceTokenizer hf;
        try {
            // Options in code, no tokenizer_config.json handed to DJL: it would guess padding and
            // truncation from it, and it reads the special tokens with less care than above.
            hf = HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(tokenizerBytes),
                    Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("the tokenizers library rejected " + tokenizerFile + ": " + e.getMessage(), e);
        }
        return new Tokenizer(dir, hf, vocab, specialIds, specialTokens, addBos, cleanUp, template);
    }

    /** Token ids of {@code text}, with no special tokens added and no truncation. */
    public long[] encode(String text) {
        return hf.encode(text, false, false).getIds();
    }

    /** The text of {@code ids}, special tokens included (HF's default). */
    public String decode(long[] ids) {
        return decode(ids, false);
    }

    public String decode(long[] ids, boolean skipSpecialTokens) {
        String text = hf.decode(ids, skipSpecialTokens);
        return cleanUpSpaces ? cleanUpTokenization(text) : text;
    }

    /** The id of one token of the vocabulary (added tokens included), as written in tokenizer.json. */
    public OptionalLong tokenId(String token) {
        Long id = vocab.get(token);
        return id == null ? OptionalLong.empty() : OptionalLong.of(id);
    }

    public OptionalLong eosTokenId() {
        return idOf("eos_token");
    }

    public OptionalLong bosTokenId() {
        return idOf("bos_token");
    }

    /**
     * The id that fills padded positions: {@code pad_token}, else {@code eos_token} (what the seed's
     * trainers set when a model has no pad token), else {@code unk_token}. Padded positions are masked
     * out of attention and loss, so any of them will do; a tokenizer with none of the three fails.
     */
    public long padTokenId() {
        for (String key : new String[] {"pad_token", "eos_token", "unk_token"}) {
            OptionalLong id = idOf(key);
            if (id.isPresent()) {
                return id.getAsLong();
            }
        }
        throw new IllegalStateException(directory.resolve(CONFIG_JSON)
                + " names no pad_token, eos_token or unk_token to pad with");
    }

    /** Whether the model expects a BOS before plain text (tokenizer_config.json's add_bos_token). */
    public boolean addBosToken() {
        return addBosToken;
    }

    /** The default chat template: chat_template.jinja, else the config's chat_template. */
    public Optional<String> chatTemplate() {
        return Optional.ofNullable(chatTemplate);
    }

    /** The special tokens by HF's names (bos_token, eos_token, unk_token, pad_token, ...), those set. */
    public Map<String, String> specialTokensMap() {
        return specialTokens;
    }

    /** HF's len(tokenizer): how many distinct ids the vocabulary and the added tokens hold. */
    public int vocabSize() {
        return vocabSize;
    }

    /** Ids of the added tokens marked special, and of the named special tokens (eos, pad, ...). */
    public Set<Long> specialIds() {
        return specialIds;
    }

    public Path directory() {
        return directory;
    }

    @Override
    public void close() {
        hf.close();
    }

    private OptionalLong idOf(String key) {
        String token = specialTokens.get(key);
        return token == null ? OptionalLong.empty() : tokenId(token);
    }

    /** HF's clean_up_tokenization, for tokenizers whose config asks for it (Llama 3 does). */
    static String cleanUpTokenization(String s) {
        return s.replace(" .", ".").replace(" ?", "?").replace(" !", "!").replace(" ,", ",")
                .replace(" ' ", "'").replace(" n't", "n't").replace(" 'm", "'m").replace(" 's", "'s")
                .replace(" 've", "'ve").replace(" 're", "'re");
    }

    private static Optional<byte[]> read(Path file) {
        try {
            return Optional.of(Files.readAllBytes(file));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    private static JsonNode parse(Path file, byte[] bytes) {
        try {
            return JSON.readTree(bytes);
        } catch (JsonProcessingException e) {
            throw malformed(file, "not valid JSON: " + e.getOriginalMessage()
                    + (e.getLocation() != null ? " (line " + e.getLocation().getLineNr() + ")" : ""));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    private static IllegalArgumentException malformed(Path file, String why) {
        return new IllegalArgumentException("malformed " + file + ": " + why);
    }

    /** model.vocab: {token: id} for BPE, WordPiece and WordLevel; [[token, score], ...] for Unigram. */
    private static Map<String, Long> vocabulary(Path file, JsonNode root) {
        JsonNode v = root.path("model").path("vocab");
        Map<String, Long> vocab = new HashMap<>(Math.max(16, v.size() * 4 / 3 + 64));
        if (v.isObject()) {
            for (Map.Entry<String, JsonNode> e : v.properties()) {
                if (!e.getValue().canConvertToLong()) {
                    throw malformed(file, "model.vocab['" + e.getKey() + "'] is not an id");
                }
                vocab.put(e.getKey(), e.getValue().asLong());
            }
        } else if (v.isArray()) {
            for (int i = 0; i < v.size(); i++) {
                if (!v.get(i).path(0).isTextual()) {
                    throw malformed(file, "model.vocab[" + i + "] is not a [token, score] pair");
                }
                vocab.put(v.get(i).get(0).asText(), (long) i);
            }
        } else {
            throw malformed(file, "no model.vocab");
        }
        return vocab;
    }

    private static void addedTokens(Path file, JsonNode root, Map<String, Long> vocab, Set<Long> specialIds) {
        JsonNode added = root.path("added_tokens");
        if (added.isMissingNode() || added.isNull()) {
            return;
        }
        if (!added.isArray()) {
            throw malformed(file, "added_tokens is not a list");
        }
        for (JsonNode t : added) {
            if (!t.path("id").canConvertToLong() || !t.path("content").isTextual()) {
                throw malformed(file, "an entry of added_tokens lacks id or content: " + t);
            }
            vocab.put(t.get("content").asText(), t.get("id").asLong());
            if (t.path("special").asBoolean(false)) {
                specialIds.add(t.get("id").asLong());
            }
        }
    }

    /** added_tokens_decoder: {"151643": {"content": "<|endoftext|>", "special": true, ...}, ...}. */
    private static void addedTokensDecoder(Path file, JsonNode config, Map<String, Long> vocab, Set<Long> specialIds) {
        JsonNode decoder = config.path("added_tokens_decoder");
        if (decoder.isMissingNode() || decoder.isNull()) {
            return;
        }
        if (!decoder.isObject()) {
            throw malformed(file, "added_tokens_decoder is not an object");
        }
        for (Map.Entry<String, JsonNode> e : decoder.properties()) {
            long id;
            try {
                id = Long.parseLong(e.getKey());
            } catch (NumberFormatException ex) {
                throw malformed(file, "added_tokens_decoder key '" + e.getKey() + "' is not an id");
            }
            JsonNode content = e.getValue().path("content");
            if (!content.isTextual()) {
                throw malformed(file, "added_tokens_decoder['" + e.getKey() + "'] has no content");
            }
            vocab.putIfAbsent(content.asText(), id);
            if (e.getValue().path("special").asBoolean(false)) {
                specialIds.add(id);
            }
        }
    }

    /** A special token given as "text", as {"content": "text", ...}, or as null/absent (none). */
    private static Optional<String> tokenText(Path file, JsonNode config, String key) {
        JsonNode v = config.get(key);
        if (v == null || v.isNull()) {
            return Optional.empty();
        }
        if (v.isTextual()) {
            return Optional.of(v.asText());
        }
        if (v.isObject() && v.path("content").isTextual()) {
            return Optional.of(v.get("content").asText());
        }
        throw malformed(file, key + " must be a string or an object with a \"content\" string, not " + v);
    }

    private static boolean bool(Path file, JsonNode config, String key) {
        JsonNode v = config.get(key);
        if (v == null || v.isNull()) {
            return false;
        }
        if (!v.isBoolean()) {
            throw malformed(file, key + " must be true or false, not " + v);
        }
        return v.asBoolean();
    }

    /**
     * chat_template is a string, or a list of {"name", "template"} of which HF uses "default" unless
     * told otherwise. A list with no default gives no template.
     */
    private static String chatTemplate(Path file, JsonNode v) {
        if (v == null || v.isNull()) {
            return null;
        }
        if (v.isTextual()) {
            return v.asText();
        }
        if (v.isArray()) {
            String found = null;
            for (JsonNode t : v) {
                if (!t.path("name").isTextual() || !t.path("template").isTextual()) {
                    throw malformed(file, "each chat_template entry needs a name and a template, not " + t);
                }
                if (t.get("name").asText().equals("default")) {
                    found = t.get("template").asText();
                }
            }
            return found;
        }
        throw malformed(file, "chat_template must be a string or a list of {name, template}");
    }
}
