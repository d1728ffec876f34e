package org.mmgpt.engine.lora;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A PEFT LoRA {@code adapter_config.json}: rank, alpha, dropout and the target modules. Options this
 * engine would apply wrongly (DoRA, bias training, modules_to_save, per-module ranks, fan-in-fan-out
 * layouts, layer subsets) are refused at load with the option's name.
 *
 * @param targetModules module names (suffixes such as {@code q_proj}), or null when {@link #targetRegex} is set
 * @param targetRegex PEFT's string form: a regex matched against the full module name
 */
public record LoraConfig(int r, double alpha, double dropout, List<String> targetModules, String targetRegex,
                         boolean rsLora, String baseModel) {

    /** Every linear layer of the decoder, which {@code --target-modules all} means (lm_head excluded). */
    public static final List<String> ALL_LINEAR =
            List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj");

    private static final ObjectMapper JSON = new ObjectMapper();

    public LoraConfig {
        if (r <= 0) {
            throw new IllegalArgumentException("lora rank r must be > 0, got " + r);
        }
        if (dropout < 0 || dropout >= 1) {
            throw new IllegalArgumentException("lora_dropout must be in [0, 1), got " + dropout);
        }
    }

    /** alpha / r (alpha / √r with rsLoRA), the factor on B·A. */
    public float scale() {
        return (float) (rsLora ? alpha / Math.sqrt(r) : alpha / r);
    }

    /** Whether the linear layer with full module name {@code module} gets an adapter. */
    public boolean targets(String module) {
        if (targetRegex != null) {
            return Pattern.matches(targetRegex, module);
        }
        for (String t : targetModules) {
            if (module.equals(t) || module.endsWith("." + t)) {
                return true;
            }
        }
        return false;
    }

    /** {@code --target-modules}: a comma list of names, or {@code all}. */
    public static List<String> parseTargets(String spec) {
        if (spec == null || spec.isBlank() || spec.trim().equals("all")) {
            return ALL_LINEAR;
        }
        List<String> out = new ArrayList<>();
        for (String s : spec.split(",")) {
            String t = s.trim();
            if (!t.isEmpty() && !out.contains(t)) {
                if (!ALL_LINEAR.contains(t)) {
                    throw new IllegalArgumentException("unknown target module '" + t + "'; choose from "
                            + ALL_LINEAR + " or 'all'");
                }
                out.add(t);
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("no target modules in '" + spec + "'");
        }
        return List.copyOf(out);
    }

    public static LoraConfig read(Path adapterDir) {
        Path file = adapterDir.resolve("adapter_config.json");
        JsonNode c;
        try {
            c = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage(), e);
        }
        String type = c.path("peft_type").asText("LORA");
        if (!type.equals("LORA")) {
            throw new IllegalArgumentException(file + ": peft_type " + type + " is not supported (only LORA)");
        }
        refuseIf(file, c.path("use_dora").asBoolean(false), "use_dora");
        refuseIf(file, !c.path("bias").asText("none").equals("none"), "bias=" + c.path("bias").asText());
        refuseIf(file, c.path("fan_in_fan_out").asBoolean(false), "fan_in_fan_out");
        refuseIf(file, nonEmpty(c.path("modules_to_save")), "modules_to_save");
        refuseIf(file, nonEmpty(c.path("rank_pattern")), "rank_pattern");
        refuseIf(file, nonEmpty(c.path("alpha_pattern")), "alpha_pattern");
        refuseIf(file, nonEmpty(c.path("layers_to_transform")), "layers_to_transform");
        refuseIf(file, c.path("lora_bias").asBoolean(false), "lora_bias");
        JsonNode t = c.path("target_modules");
        List<String> targets = null;
        String regex = null;
        if (t.isTextual()) {
            regex = t.asText();
        } else if (t.isArray()) {
            targets = new ArrayList<>();
            for (JsonNode x : t) {
                targets.add(x.asText());
            }
            targets = List.copyOf(targets);
        } else {
            throw new IllegalArgumentException(file + ": no target_modules");
        }
        return new LoraConfig(c.path("r").asInt(8), c.path("lora_alpha").asDouble(8),
                c.path("lora_dropout").asDouble(0), targets, regex, c.path("use_rslora").asBoolean(false),
                c.path("base_model_name_or_path").isTextual() ? c.get("base_model_name_or_path").asText() : null);
    }

    private static boolean nonEmpty(JsonNode n) {
        return (n.isArray() || n.isObject()) ? !n.isEmpty() : !n.isMissingNode() && !n.isNull();
    }

    private static void refuseIf(Path file, boolean condition, String option) {
        if (condition) {
            throw new IllegalArgumentException(file + ": LoRA option " + option + " is not supported");
        }
    }

    /** adapter_config.json as PEFT writes it, so that {@code PeftModel.from_pretrained} reads it. */
    public void write(Path adapterDir) throws IOException {
        ObjectNode c = JSON.createObjectNode();
        c.put("peft_type", "LORA");
        c.put("task_type", "CAUSAL_LM");
        c.put("r", r);
        c.put("lora_alpha", alpha);
        c.put("lora_dropout", dropout);
        if (targetRegex != null) {
            c.put("target_modules", targetRegex);
        } else {
            var a = c.putArray("target_modules");
            targetModules.forEach(a::add);
        }
        c.put("use_rslora", rsLora);
        c.put("use_dora", false);
        c.put("bias", "none");
        c.put("fan_in_fan_out", false);
        c.put("init_lora_weights", true);
        c.put("inference_mode", true);
        c.putNull("modules_to_save");
        if (baseModel != null) {
            c.put("base_model_name_or_path", baseModel);
        } else {
            c.putNull("base_model_name_or_path");
        }
        c.put("revision", (String) null);
        Files.writeString(adapterDir.resolve("adapter_config.json"),
                JSON.writerWithDefaultPrettyPrinter().writeValueAsString(c) + "\n");
    }
}
