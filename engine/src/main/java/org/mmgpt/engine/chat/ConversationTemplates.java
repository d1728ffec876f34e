package org.mmgpt.engine.chat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The named prompt formats of the seed project (MedicalGPT's training/template.py), character for
 * character: models fine-tuned with the seed expect exactly these strings. The default stop string
 * is the seed's {@code </s>}.
 *
 * <p>Two seed entries are left out. {@code deepseekcoder}'s prompt has {@code {{content}}} and no
 * {@code {query}}, so Python's format drops the user's text. {@code chatglm3}'s stop string
 * {@code <|user|>} opens the next turn rather than closing a reply, so it cannot close replies here.
 */
public final class ConversationTemplates {
    private static final String EOS = "</s>";
    private static final Map<String, ConversationTemplate> TEMPLATES = new LinkedHashMap<>();

    static {
        // https://huggingface.co/lmsys/vicuna-7b-delta-v1.1
        add("vicuna", "A chat between a curious user and an artificial intelligence assistant. "
                + "The assistant gives helpful, detailed, and polite answers to the user's questions.",
                "USER: {query} ASSISTANT:", "</s>", EOS);
        // Base models, for few-shot prompts.
        add("base", "", "{query}", "</s>", EOS);
        add("alpaca", "Below is an instruction that describes a task. "
                + "Write a response that appropriately completes the request.",
                "### Instruction:\n{query}\n\n### Response:\n", "\n\n", EOS);
        // https://huggingface.co/baichuan-inc/Baichuan-13B-Chat
        add("baichuan", "", "<reserved_102>{query}<reserved_103>", "</s>", EOS);
        // https://huggingface.co/baichuan-inc/Baichuan2-7B-Chat
        add("baichuan2", "", "<reserved_106>{query}<reserved_107>", "</s>", EOS);
        add("ziya", "", "<human>:{query}\n<bot>:", "\n", EOS);
        add("linly", "", "User: {query}\nBot: ", "\n", EOS);
        // https://huggingface.co/THUDM/chatglm-6b
        add("chatglm", "", "问：{query}\n答：", "\n", EOS);
        // https://huggingface.co/THUDM/chatglm2-6b
        add("chatglm2", "", "问：{query}\n\n答：", "\n\n", EOS);
        add("phoenix", "A chat between a curious human and an artificial intelligence assistant. "
                + "The assistant gives helpful, detailed, and polite answers to the human's questions.\n\n",
                "Human: <s>{query}</s>Assistant: ", "</s>", EOS);
        // https://huggingface.co/BelleGroup/BELLE-LLaMA-EXT-13B
        add("belle", "", "Human: {query}\n\nBelle: ", "\n\n", EOS);
        // https://huggingface.co/BAAI/AquilaChat2-34B
        add("aquila", "A chat between a curious human and an artificial intelligence assistant. "
                + "The assistant gives helpful, detailed, and polite answers to the human's questions.",
                "Human: {query}###Assistant:", "###", EOS);
        // https://huggingface.co/internlm/internlm-chat-7b
        add("intern", "", "<|User|>:{query}<eoh>\n<|Bot|>:", "<eoa>\n", "<eoa>");
        // https://huggingface.co/internlm/internlm2-1_8b
        add("intern2", "<|im_start|>system\nYou are an AI assistant whose name is InternLM (书生·浦语).\n<|im_end|>\n",
                "<|im_start|>user\n{query}<|im_end|>\n<|im_start|>assistant\n", "<|im_end|>\n", "<|im_end|>");
        // https://huggingface.co/HuggingFaceH4/starchat-beta
        add("starchat", "<system>\n", "<|user|>\n{query}<|end|>\n<|assistant|>\n", "<|end|>\n", "<|end|>");
        // https://huggingface.co/meta-llama/Llama-2-7b-chat-hf
        add("llama2", "<<SYS>>\nYou are a helpful, respectful and honest assistant. "
                + "Always answer as helpfully as possible, while being safe. "
                + "Your answers should not include any harmful, unethical, racist, sexist, "
                + "toxic, dangerous, or illegal content. "
                + "Please ensure that your responses are socially unbiased and positive in nature.\n\n"
                + "If a question does not make any sense, or is not factually coherent, "
                + "explain why instead of answering something not correct. "
                + "If you don't know the answer to a question, please don't share false information.\n<</SYS>>\n\n",
                "[INST] {query} [/INST]", "</s>", EOS);
        // https://huggingface.co/meta-llama/Meta-Llama-3-8B-Instruct
        add("llama3", "<|start_header_id|>system<|end_header_id|>\n\nYou are a helpful, excellent and smart assistant.",
                "<|start_header_id|>user<|end_header_id|>\n\n{query}<|eot_id|>"
                        + "<|start_header_id|>assistant<|end_header_id|>\n\n",
                "<|eot_id|>", "<|eot_id|>");
        // https://huggingface.co/ziqingyang/chinese-alpaca-2-7b
        add("llama2-zh", "[INST] <<SYS>>\nYou are a helpful assistant. 你是一个乐于助人的助手。\n<</SYS>>\n\n [/INST]",
                "[INST] {query} [/INST]", "</s>", EOS);
        // https://huggingface.co/mistralai/Mistral-7B-Instruct-v0.1
        add("mistral", "", "[INST] {query} [/INST]", "</s>", EOS);
        // https://huggingface.co/xverse/XVERSE-13B-Chat
        add("xverse", "", "Human: {query}\n\nAssistant: ", "</s>", EOS);
        add("chatml", "You are a helpful assistant.",
                "<|im_start|>user\n{query}<|im_end|>\n<|im_start|>assistant\n", "<|im_end|>\n", "<|im_end|>");
        // https://huggingface.co/deepseek-ai/deepseek-llm-7b-chat
        add("deepseek", "", "User: {query}\n\nAssistant:", "</s>", EOS);
        // https://huggingface.co/deepseek-ai/DeepSeek-V3
        add("deepseek3", "", "<｜User｜>{query}<｜Assistant｜>", "</s>", EOS);
        // https://huggingface.co/01-ai/Yi-34B-Chat
        add("yi", "", "<|im_start|>user\n{query}<|im_end|>\n<|im_start|>assistant\n", "\n", "<|im_end|>");
        // https://huggingface.co/OrionStarAI/Orion-14B-Chat
        add("orion", "", "Human: {query}\n\nAssistant: </s>", "</s>", EOS);
        // https://huggingface.co/CohereForAI/c4ai-command-r-plus
        add("cohere", "<BOS_TOKEN>", "<|START_OF_TURN_TOKEN|><|USER_TOKEN|>{query}<|END_OF_TURN_TOKEN|>"
                + "<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>", "</s>", EOS);
        // Qwen1.5 to Qwen3.5 (ChatML); the seed's no-think variants are the same text.
        for (String qwen : new String[] {"qwen", "qwen3", "qwen3_nothink", "qwen3_5", "qwen3_5_nothink"}) {
            add(qwen, "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n",
                    "<|im_start|>user\n{query}<|im_end|>\n<|im_start|>assistant\n", "\n", "<|im_end|>");
        }
    }

    private ConversationTemplates() {}

    private static void add(String name, String system, String prompt, String separator, String stop) {
        TEMPLATES.put(name, new ConversationTemplate(name, system, prompt, separator, stop));
    }

    /** The template of that name; an unknown name fails with the list of known ones. */
    public static ConversationTemplate get(String name) {
        ConversationTemplate t = TEMPLATES.get(name);
        if (t == null) {
            throw new IllegalArgumentException("unknown template '" + name + "'; known: " + String.join(", ", names()));
        }
        return t;
    }

    /** The known names, in the seed's order. */
    public static List<String> names() {
        return List.copyOf(TEMPLATES.keySet());
    }
}
