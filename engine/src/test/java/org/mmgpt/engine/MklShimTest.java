package org.mmgpt.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.jna.NativeLibrary;
import org.junit.jupiter.api.Test;

class MklShimTest {

    /**
     * Where the build had a C compiler, the shim is in the jar (the benchmarks say which way a run went)
     * and the engine loads it into the process's global scope, where libtorch's PLT calls find it, and
     * keeps it there (a collected NativeLibrary is closed: that once unloaded it before libtorch's first
     * MKL call).
     */
    @Test
    void theShimBuiltIntoTheJarAnswersForMklFromTheGlobalScopeAndStaysLoaded() {
        assumeTrue(System.getProperty("os.name").equals("Linux") && System.getProperty("os.arch").equals("amd64"),
                "the shim is built for Linux x86-64 only");
        assumeTrue(Djl.class.getResource("/native/linux-x86_64/libmmgpt_mkl_intel_cpu.so") != null,
                "this build had no C compiler at /usr/bin/cc, so it has no shim");
        assertTrue(Djl.mklStatus().contains("shim loaded"), Djl.mklStatus());
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        // The process's global scope (dlopen(NULL)) sees only the executable and RTLD_GLOBAL libraries.
        NativeLibrary process = NativeLibrary.getProcess();
        assertEquals(1, process.getFunction("mkl_serv_intel_cpu_true").invokeInt(new Object[0]));
        assertEquals(1, process.getFunction("mkl_serv_intel_cpu").invokeInt(new Object[0]));
    }
}
