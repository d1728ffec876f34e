package org.mmgpt.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.function.Supplier;

/**
 * Gradient recording and back-propagation, straight on PyTorch's autograd.
 *
 * <p>DJL's {@code GradientCollector} allows one collector per JVM (a static flag), which would make a
 * worker that trains two jobs fail; PyTorch's grad mode is per thread, so this class switches it on
 * the calling thread only.
 *
 * <p>A thread PyTorch has not seen starts with recording ON (only the thread that started the
 * engine has it off): every engine entry point that may run on a fresh thread — training,
 * decoding, merging — calls {@link #offOnThisThread()} first, or in-place updates fail and
 * inference builds graphs nobody needs.
 */
public final class Autograd {
    private Autograd() {}

    /** Gradient recording off for the calling thread (the state outside {@link #record}). */
    public static void offOnThisThread() {
        Djl.init();
        ai.djl.engine.Engine.getEngine("PyTorch"); // the native library must be loaded first
        JniUtils.setGradMode(false);
    }

    /** Runs {@code forward} with gradient recording on (this thread), restoring the previous mode. */
    public static <T> T record(Supplier<T> forward) {
        boolean before = JniUtils.isGradMode();
        JniUtils.setGradMode(true);
        try {
            return forward.get();
        } finally {
            JniUtils.setGradMode(before);
        }
    }

    /** Back-propagates a scalar; gradients accumulate into the leaves that require them. */
    public static void backward(NDArray scalar) {
        try (NDArray one = scalar.onesLike()) {
            JniUtils.backward((PtNDArray) scalar, (PtNDArray) one, false, false);
        }
    }

    /** Back-propagates {@code output} with upstream gradient {@code grad} (same shape). */
    public static void backward(NDArray output, NDArray grad) {
        JniUtils.backward((PtNDArray) output, (PtNDArray) grad, false, false);
    }

    /** Marks a leaf as trainable (its .grad is allocated on the first backward). */
    public static void requireGrad(NDArray leaf) {
        leaf.setRequiresGradient(true);
    }

    /** Sets a leaf's accumulated gradient to zero. */
    public static void zeroGrad(NDArray leaf) {
        JniUtils.zeroGrad((PtNDArray) leaf);
    }
}
