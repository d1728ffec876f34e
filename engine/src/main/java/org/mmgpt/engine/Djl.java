package org.mmgpt.engine;

import ai.djl.ndarray.NDManager;

/**
 * The one door to DJL. Every engine entry point calls {@link #init()} before it touches a DJL class:
 * without {@code ai.djl.offline=true} DJL reaches for a cloud metadata address when its engine starts,
 * a connection no user asked for. A value the user set explicitly is left alone.
 */
public final class Djl {
    private static volatile boolean initialised;

    private Djl() {}

    public static void init() {
        if (initialised) {
            return;
        }
        synchronized (Djl.class) {
            if (System.getProperty("ai.djl.offline") == null) {
                System.setProperty("ai.djl.offline", "true");
            }
            // The engine's own native threads: a setting, because two intra-op threads fought under
            // CPU contention on small machines (see docs/architecture.md, "Threads").
            String threads = System.getenv("MMGPT_THREADS");
            if (threads != null && System.getProperty("ai.djl.pytorch.num_threads") == null) {
                System.setProperty("ai.djl.pytorch.num_threads", threads);
            }
            initialised = true;
        }
    }

    /**
     * The compute threads configured for this process ({@code MMGPT_THREADS}, or the launcher's
     * {@code -Dai.djl.pytorch.num_threads}); 1 when neither is set.
     */
    public static int threads() {
        init();
        String v = System.getProperty("ai.djl.pytorch.num_threads");
        try {
            return v == null ? 1 : Math.max(1, Integer.parseInt(v.trim()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("ai.djl.pytorch.num_threads / MMGPT_THREADS is not a number: " + v);
        }
    }

    /**
     * Sets the compute threads for this process (a setting: see the notes on contention): PyTorch's
     * intra-op count, and what {@link #threads()} answers from now on.
     */
    public static void setThreads(int threads) {
        init();
        System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
        ai.djl.engine.Engine.getEngine("PyTorch"); // the native library must be loaded first
        ai.djl.pytorch.jni.JniUtils.setNumThreads(threads);
    }

    /** A new root manager on the default device, with offline mode guaranteed. */
    public static NDManager newManager() {
        init();
        return NDManager.newBaseManager();
    }
}
