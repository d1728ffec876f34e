package org.mmgpt.engine.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.interpret.Context;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.JinjavaInterpreterFactory;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.expression.ExpressionStrategy;
import com.hubspot.jinjava.lib.exptest.ExpTest;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import com.hubspot.jinjava.lib.tag.Tag;
import com.hubspot.jinjava.objects.date.StrftimeFormatter;
import com.hubspot.jinjava.tree.Node;
import com.hubspot.jinjava.tree.TagNode;
import com.hubspot.jinjava.tree.output.RenderedOutputNode;
import com.hubspot.jinjava.tree.parse.ExpressionToken;
import java.lang.reflect.Method;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import jinjava.javax.el.CompositeELResolver;
import org.mmgpt.engine.tokenizer.Tokenizer;

/**
 * A model's own chat template (the Jinja {@code chat_template} of its tokenizer_config.json),
 * rendered like Hugging Face's {@code apply_chat_template}: the same variables ({@code messages},
 * {@code add_generation_prompt}, the special tokens such as {@code bos_token}/{@code eos_token}, and
 * the caller's extras), the same globals ({@code raise_exception}, {@code strftime_now}), HF's
 * {@code tojson}, and Jinja2's whitespace rules with {@code trim_blocks} and {@code lstrip_blocks}.
 * The engine is Jinjava; {@link JinjaSource} and {@link PythonMethods} close the gaps between it and
 * Jinja2 that real templates run into.
 */
public final class JinjaChatTemplate implements ChatTemplate {
    private static final Jinjava JINJAVA = newJinjava();
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String source;
    private final Map<String, String> specialTokens;

    /**
     * @param template      the Jinja source, as found in tokenizer_config.json
     * @param specialTokens template variables for the special tokens, e.g. {@code bos_token → "<s>"}
     *                      ({@link Tokenizer#specialTokensMap()}); {@code eos_token} is the stop string
     */
    public JinjaChatTemplate(String template, Map<String, String> specialTokens) {
        this.source = JinjaSource.normalise(template);
        this.specialTokens = Map.copyOf(specialTokens);
        // Parse now, so a broken template fails when it is loaded rather than at the first request.
        JinjavaInterpreter interpreter = JINJAVA.newInterpreter();
        interpreter.parse(source);
        failOnErrors(interpreter.getErrors());
    }

    /** The tokenizer's template, with its special tokens. */
    public static JinjaChatTemplate of(Tokenizer tokenizer) {
        String template = tokenizer.chatTemplate().orElseThrow(() -> new IllegalArgumentException(
                "the tokenizer in " + tokenizer.directory() + " has no chat_template"));
        return new JinjaChatTemplate(template, tokenizer.specialTokensMap());
    }

    @Override
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt, Map<String, ?> variables) {
        Map<String, Object> context = new LinkedHashMap<>(specialTokens);
        variables.forEach((name, value) -> {
            if (name.equals("messages") || name.equals("add_generation_prompt")) {
                throw new IllegalArgumentException("'" + name + "' comes from render's arguments, not from variables");
            }
            context.put(name, value instanceof JsonNode node ? JSON.convertValue(node, Object.class) : value);
        });
        List<Map<String, Object>> maps = new ArrayList<>(messages.size());
        for (ChatMessage m : messages) {
            Map<String, Object> map = new LinkedHashMap<>();
            map.put("role", m.role());
            map.put("content", m.content());
            maps.add(map);
        }
        context.put("messages", maps);
        context.put("add_generation_prompt", addGenerationPrompt);
        RenderResult result = JINJAVA.renderForResult(source, context);
        failOnErrors(result.getErrors());
        return result.getOutput();
    }

    @Override
    public List<String> stopStrings() {
        String eos = specialTokens.get("eos_token");
        return eos == null ? List.of() : List.of(eos);
    }

    /**
     * Derived from renderings of prefixes, as nothing else is known about the template: for each
     * assistant message i, {@code render(messages[:i], true)} ends where the reply starts and
     * {@code render(messages[:i+1], false)} where it ends (closing tokens included). This needs a
     * prefix-stable template: each such rendering must be a prefix of the whole conversation's.
     * Templates that rewrite earlier turns (Qwen3 drops the reasoning of past replies) are not, for
     * multi-turn conversations, and get an IllegalArgumentException that says where.
     */
    @Override
    public List<Segment> segments(List<ChatMessage> messages, Map<String, ?> variables) {
        String full = render(messages, false, variables);
        List<Segment> segments = new ArrayList<>();
        int done = 0;
        for (int i = 0; i < messages.size(); i++) {
            if (!messages.get(i).role().equals("assistant")) {
                continue;
            }
            String before = render(messages.subList(0, i), true, variables);
            String after = render(messages.subList(0, i + 1), false, variables);
            if (!after.startsWith(before) || !full.startsWith(after) || before.length() < done) {
                throw new IllegalArgumentException("the chat template is not prefix-stable at message " + i
                        + " (assistant): rendering the conversation up to that reply does not give a prefix of the"
                        + " whole conversation, so the reply cannot be located for SFT labels. Train on shorter"
                        + " conversations or pass a named template (--template NAME)");
            }
            add(segments, full.substring(done, before.length()), false);
            add(segments, full.substring(before.length(), after.length()), true);
            done = after.length();
        }
        add(segments, full.substring(done), false);
        return segments;
    }

    private static void add(List<Segment> segments, String text, boolean assistant) {
        if (text.isEmpty()) {
            return;
        }
        int last = segments.size() - 1;
        if (last >= 0 && segments.get(last).assistant() == assistant) {
            segments.set(last, new Segment(segments.get(last).text() + text, assistant));
        } else {
            segments.add(new Segment(text, assistant));
        }
    }

    private static void failOnErrors(List<TemplateError> errors) {
        for (TemplateError error : errors) {
            if (error.getSeverity() != TemplateError.ErrorType.FATAL) {
                continue;
            }
            Optional<Raised> raised = raisedIn(error.getException());
            if (raised.isPresent()) {
                throw new IllegalArgumentException(raised.get().getMessage());
            }
            throw new IllegalArgumentException("chat template error"
                    + (error.getLineno() > 0 ? " at line " + error.getLineno() : "") + ": " + error.getMessage());
        }
    }

    private static Optional<Raised> raisedIn(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof Raised raised) {
                return Optional.of(raised);
            }
        }
        return Optional.empty();
    }

    /** What {@code raise_exception(msg)} throws inside the engine; callers get its message. */
    private static final class Raised extends RuntimeException {
        Raised(String message) {
            super(message);
        }
    }

    // Jinjava calls functions through reflection on static methods.
    static String raiseException(String message) {
        throw new Raised(message);
    }

    static String strftimeNow(String format) {
        return StrftimeFormatter.format(ZonedDateTime.now(), format, Locale.ENGLISH);
    }

    private static Jinjava newJinjava() {
        CompositeELResolver resolver = new CompositeELResolver();
        resolver.add(new PythonMethods());
        resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_ONLY);
        JinjavaConfig config = JinjavaConfig.newBuilder()
                // JinjaSource has applied Jinja2's whitespace rules already.
                .withTrimBlocks(false)
                .withLstripBlocks(false)
                .withKeepTrailingNewline(true)
                // Jinjava re-renders printed text that looks like a template by default: a user's
                // "{{ x }}" would run. Jinja2 prints it as it is.
                .withNestedInterpretationEnabled(false)
                .withElResolver(resolver)
                .withInterperterFactory(new JinjavaInterpreterFactory() {
                    @Override
                    public JinjavaInterpreter newInstance(Jinjava application, Context context, JinjavaConfig config) {
                        context.setExpressionStrategy(new PythonPrint());
                        return super.newInstance(application, context, config);
                    }
                })
                .withLegacyOverrides(LegacyOverrides.newBuilder()
                        .withEvaluateMapKeys(true)
                        .withIterateOverMapKeys(true)
                        .withUsePyishObjectMapper(true)
                        .withKeepNullableLoopValues(true)
                        .withHandleBackslashInQuotesOnly(true)
                        .build())
                .build();
        Jinjava jinjava = new Jinjava(config);
        jinjava.getGlobalContext().registerFilter(new ToJson());
        jinjava.getGlobalContext().registerFunction(function("raise_exception", "raiseException"));
        jinjava.getGlobalContext().registerFunction(function("strftime_now", "strftimeNow"));
        jinjava.getGlobalContext().registerTag(new GenerationTag());
        // Python iterates strings and dicts too: Llama 3.1's template relies on `content is iterable`.
        jinjava.getGlobalContext().registerExpTest(pythonTest("iterable"));
        jinjava.getGlobalContext().registerExpTest(pythonTest("sequence"));
        return jinjava;
    }

    private static ExpTest pythonTest(String name) {
        return new ExpTest() {
            @Override
            public String getName() {
                return name;
            }

            @Override
            public boolean evaluate(Object var, JinjavaInterpreter interpreter, Object... args) {
                return var instanceof String || var instanceof Iterable || var instanceof Map
                        || (var != null && var.getClass().isArray());
            }
        };
    }

    private static ELFunctionDefinition function(String name, String method) {
        try {
            Method m = JinjaChatTemplate.class.getDeclaredMethod(method, String.class);
            m.setAccessible(true);
            return new ELFunctionDefinition("", name, m);
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException(e);
        }
    }

    /** HF's tojson: json.dumps(x, ensure_ascii=False, indent=..., separators=..., sort_keys=...). */
    private static final class ToJson implements Filter {
        @Override
        public String getName() {
            return "tojson";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            Object indent = kwargs.getOrDefault("indent", args.length > 0 ? args[0] : null);
            Object separators = kwargs.get("separators");
            Object sortKeys = kwargs.getOrDefault("sort_keys", Boolean.FALSE);
            return PyJson.of(indent, separators instanceof List<?> l ? l : null, Boolean.TRUE.equals(sortKeys))
                    .dumps(var);
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            return filter(var, interpreter, args, Map.of());
        }
    }

    /** {{ flag }} prints True/False as Python does (Jinjava prints true/false). */
    private static final class PythonPrint implements ExpressionStrategy {
        private static final long serialVersionUID = 1L;

        @Override
        public RenderedOutputNode interpretOutput(ExpressionToken master, JinjavaInterpreter interpreter) {
            Object value = interpreter.resolveELExpression(master.getExpr(), master.getLineNumber());
            if (value instanceof Boolean b) {
                return new RenderedOutputNode(b ? "True" : "False");
            }
            return new RenderedOutputNode(interpreter.getAsString(value));
        }
    }

    /**
     * {@code {% generation %}...{% endgeneration %}}: HF's marker of assistant text (for
     * return_assistant_tokens_mask); when rendering it is just its body.
     */
    private static final class GenerationTag implements Tag {
        private static final long serialVersionUID = 1L;

        @Override
        public String getName() {
            return "generation";
        }

        @Override
        public String interpret(TagNode tagNode, JinjavaInterpreter interpreter) {
            // Its own scope, as HF's extension renders the body as a call block.
            interpreter.enterScope();
            try {
                StringBuilder b = new StringBuilder();
                for (Node child : tagNode.getChildren()) {
                    b.append(child.render(interpreter));
                }
                return b.toString();
            } finally {
                interpreter.leaveScope();
            }
        }
    }
}
