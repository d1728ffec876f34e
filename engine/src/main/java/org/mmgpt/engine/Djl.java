package org.mmgpt.engine;

import ai.djl.ndarray.NDManager;
import com.sun.jna.Library;
import com.sun.jna.NativeLibrary;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;

/**
 * The one door to DJL. Every engine entry point calls {@link #init()} before it touches a DJL class:
 * without {@code ai.djl.offline=true} DJL reaches for a cloud metadata address when its engine starts,
 * a connection no user asked for. A value the user set explicitly is left alone.
 *
 * <p>It also loads, before libtorch, the MKL CPU-vendor shim built into the jar where a C compiler was
 * (src/main/native/mkl_intel_cpu.c): on a non-Intel CPU it makes libtorch's MKL use the kernels of the
 * CPU's instruction sets instead of its generic ones. {@code MMGPT_MKL_INTEL_CPU=off} leaves it out.
 */
public final class Djl {
    private static final int RTLD_NOW = 0x2;
    private static final int RTLD_GLOBAL = 0x100;
    private static volatile boolean initialised;
    private static NativeLibrary mklShim; // held: a collected NativeLibrary is closed, and MKL would lose it
    private static String mklShimStatus;

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
            mklShimStatus = loadMklShim();
            initialised = true;
        }
    }

    /**
     * Loads the shim with RTLD_GLOBAL, so that libtorch's calls to MKL's two CPU-vendor functions, which
     * go through its PLT and bind on first call, find the shim's before libtorch's own.
     */
    private static String loadMklShim() {
        if ("off".equals(System.getenv("MMGPT_MKL_INTEL_CPU"))) {
            return "MKL on its own CPU dispatch (MMGPT_MKL_INTEL_CPU=off)";
        }
        try {
            mklShim = loadBundled("mmgpt_mkl_intel_cpu", RTLD_NOW | RTLD_GLOBAL);
            return mklShim == null ? "MKL on its own CPU dispatch (no shim in this build)"
                    : "MKL dispatching on the CPU's instruction sets (shim loaded; MMGPT_MKL_INTEL_CPU=off to leave it out)";
        } catch (IOException | LinkageError e) { // optional: never what stops the engine
            return "MKL on its own CPU dispatch (shim failed to load: " + e.getMessage() + ")";
        }
    }

    /**
     * Loads {@code lib<name>.so}, built into the jar by src/main/native/build.sh where a C compiler was,
     * from a temporary copy (deleted at once: a loaded library stays mapped). Null when this build or
     * this platform has none. The caller holds the result: a collected NativeLibrary is closed.
     */
    public static NativeLibrary loadBundled(String name) throws IOException {
        return loadBundled(name, RTLD_NOW);
    }

    private static NativeLibrary loadBundled(String name, int openFlags) throws IOException {
        try (InputStream in = Djl.class.getResourceAsStream("/native/linux-x86_64/lib" + name + ".so")) {
            if (in == null || !System.getProperty("os.name").equals("Linux")
                    || !System.getProperty("os.arch").equals("amd64")) {
                return null;
            }
            Path file = Files.createTempFile("mmgpt-" + name, ".so");
            try {
                Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
                return NativeLibrary.getInstance(file.toString(), Map.of(Library.OPTION_OPEN_FLAGS, openFlags));
            } finally {
                Files.delete(file);
            }
        }
    }

    /** Whether the MKL shim is loaded, in words, for benchmarks and logs. */
    public static String mklStatus() {
        init();
        return mklShimStatus;
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

    /**
     * Gives the calling thread one intra-op thread, for threads that share out a pass among themselves
     * (the decode shards, the benchmark's products probe). PyTorch gives a thread its process-wide
     * default count the first time the thread asks for it, whatever was set before, so this asks
     * first and then sets 1. Setting also changes that default for threads not yet seen: whoever
     * starts such threads restores its own count ({@code JniUtils.setNumThreads}) once they have run this.
     */
    public static void oneComputeThreadOnThisThread() {
        ai.djl.pytorch.jni.JniUtils.getNumThreads();
        ai.djl.pytorch.jni.JniUtils.setNumThreads(1);
    }

    /** A new root manager on the default device, with offline mode guaranteed. */
    public static NDManager newManager() {
        init();
        return NDManager.newBaseManager();
    }
}
