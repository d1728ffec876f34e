package org.mmgpt.engine.model;

import ai.djl.ndarray.NDArray;

/**
 * A LoRA update on one {@link Linear}: {@code Δy = scale · dropout(x)·Aᵀ·Bᵀ} with
 * {@code scale = alpha / r} (PEFT's default; {@code alpha / √r} with rsLoRA).
 *
 * @param a (r, in), PEFT's {@code lora_A.weight}
 * @param b (out, r), PEFT's {@code lora_B.weight}
 */
public record LoraAdapter(NDArray a, NDArray b, float scale, float dropout) {}
