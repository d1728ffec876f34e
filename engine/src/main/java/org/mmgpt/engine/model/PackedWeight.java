package org.mmgpt.engine.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import java.io.IOException;
import org.mmgpt.engine.Djl;

/**
 * A float32 weight matrix W (out, in), or a block of one, packed once for the engine's native
 * products (src/main/native/packed_linear.c): {@code y = x·Wᵀ + bias + add}, inference only.
 *
 * <p>Why: decoding multiplies every weight by a few rows. libtorch's MKL repacks the weight on every
 * call and takes nearly twice as long for eight rows as for one, which holds batch 8 to about 4.3×
 * the speed of batch 1; packed once and streamed once for up to eight rows, eight rows cost little
 * more than one. The packed copy takes as much memory as the block it packs.
 *
 * <p>The library is built into the jar where a C compiler was; without it, on a CPU without AVX2
 * and FMA, or with {@code MMGPT_PACKED_PRODUCTS=off}, {@link #available()} is false and callers keep
 * libtorch's products. {@code MMGPT_PACKED_PRODUCTS=avx2} takes the AVX2 kernels on an AVX-512 CPU.
 */
public final class PackedWeight {
    static final int AVX2 = 1;
    static final int AVX512 = 2;
    private static final NativeLibrary LIBRARY; // held: a collected NativeLibrary is closed
    private static final int BEST; // the instruction set used, 0 for none
    private static final String STATUS;

    static {
        NativeLibrary library = null;
        int best = 0;
        String status;
        String setting = System.getenv("MMGPT_PACKED_PRODUCTS");
        try {
            Djl.init();
            library = "off".equals(setting) ? null : Djl.loadBundled("mmgpt_packed_linear");
            if (library != null) {
                Native.register(PackedWeight.class, library);
                best = "avx2".equals(setting) ? Math.min(AVX2, mmgpt_isa()) : mmgpt_isa();
            }
            status = "off".equals(setting) ? "libtorch's (MMGPT_PACKED_PRODUCTS=off)"
                    : library == null ? "libtorch's (no packed-products library in this build)"
                    : best == 0 ? "libtorch's (the CPU has neither AVX-512 nor AVX2 with FMA)"
                    : "packed, " + (best == AVX512 ? "AVX-512" : "AVX2") + " (MMGPT_PACKED_PRODUCTS=off for libtorch's)";
        } catch (IOException | LinkageError e) { // optional: never what stops the engine
            library = null;
            best = 0;
            status = "libtorch's (the packed-products library failed to load: " + e.getMessage() + ")";
        }
        LIBRARY = library;
        BEST = best;
        STATUS = status;
    }

    private final NDArray packed; // panels of 48 rows of W (see packed_linear.c), held for its memory
    private final long address; // of packed's data
    private final long out;
    private final long in;
    private final int isa;

    private PackedWeight(NDArray packed, long out, long in, int isa) {
        this.packed = packed;
        this.address = address(packed);
        this.out = out;
        this.in = in;
        this.isa = isa;
    }

    /** Whether this process computes decode products with packed weights. */
    public static boolean available() {
        return BEST > 0;
    }

    /** Which products decoding uses, in words, for benchmarks and logs. */
    public static String status() {
        return STATUS;
    }

    /** The loaded library, where the native decode step lives too ({@link NativeDecodeStep}); null if none. */
    static NativeLibrary library() {
        return BEST > 0 ? LIBRARY : null;
    }

    /** The instruction set of this process's products (AVX2 or AVX512), 0 for none. */
    static int isa() {
        return BEST;
    }

    /** Whether this CPU runs the kernels of {@code isa} (AVX2 or AVX512). */
    static boolean supports(int isa) {
        return LIBRARY != null && isa > 0 && isa <= mmgpt_isa();
    }

    /** Rows [row, row+rows) and columns [column, column+columns) of {@code weight}, packed into {@code owner}. */
    public static PackedWeight of(NDArray weight, long row, long rows, long column, long columns, NDManager owner) {
        return of(weight, row, rows, column, columns, owner, BEST);
    }

    /** The same with the kernels of a given instruction set (tests take both on one machine). */
    static PackedWeight of(NDArray weight, long row, long rows, long column, long columns, NDManager owner, int isa) {
        if (!supports(isa)) {
            throw new IllegalStateException("packed products with instruction set " + isa + " are not available: " + STATUS);
        }
        Shape shape = weight.getShape();
        if (weight.getDataType() != DataType.FLOAT32 || shape.dimension() != 2) {
            throw new IllegalArgumentException("packed products take a float32 matrix, not " + weight.getDataType()
                    + " " + shape);
        }
        if (row < 0 || rows < 1 || row + rows > shape.get(0) || column < 0 || columns < 1
                || column + columns > shape.get(1)) {
            throw new IllegalArgumentException("rows " + row + "+" + rows + " and columns " + column + "+" + columns
                    + " are not a block of " + shape);
        }
        long ld = shape.get(1); // the floats between two rows
        NDArray packed = owner.create(new Shape(mmgpt_packed_size(rows, columns)), DataType.FLOAT32);
        mmgpt_pack(address(weight) + 4 * (row * ld + column), rows, columns, ld, address(packed));
        return new PackedWeight(packed, rows, columns, isa);
    }

    /**
     * x (…, in) → x·Wᵀ + bias + add (…, out) in x's manager; bias (out) and add (…, out) may be null.
     * Shapes and types are checked here: the native code reads and writes exactly those sizes.
     */
    public NDArray times(NDArray x, NDArray bias, NDArray add) {
        Shape shape = x.getShape();
        if (x.getDataType() != DataType.FLOAT32 || shape.dimension() == 0 || shape.get(shape.dimension() - 1) != in) {
            throw new IllegalArgumentException("input " + x.getDataType() + " " + shape + " is not float32 (…, " + in + ")");
        }
        long rows = shape.size() / in;
        Shape outShape = shape.slice(0, shape.dimension() - 1).add(out);
        check("bias", bias, out);
        check("added array", add, rows * out);
        NDArray y = x.getManager().create(outShape, DataType.FLOAT32);
        if (rows > 0) {
            mmgpt_linear(isa, address(x), rows, in, address, out, bias == null ? 0 : address(bias),
                    add == null ? 0 : address(add), address(y));
        }
        return y;
    }

    /** The packed data's address, for the native decode step; valid as long as this weight. */
    long packedAddress() {
        return address;
    }

    /** Rows of W (outputs). */
    long outputs() {
        return out;
    }

    /** Columns of W (inputs). */
    long inputs() {
        return in;
    }

    private static void check(String what, NDArray a, long size) {
        if (a != null && (a.getDataType() != DataType.FLOAT32 || a.size() != size)) {
            throw new IllegalArgumentException("the " + what + " is " + a.getDataType() + " " + a.getShape()
                    + ", not " + size + " float32 values");
        }
    }

    /**
     * The address of a float32 array's data, contiguous: a strided view is first copied (by DJL, into
     * the view's manager), so that address stays valid as long as that manager.
     */
    static long address(NDArray a) {
        return Pointer.nativeValue(Native.getDirectBufferPointer(a.toByteBuffer(true)));
    }

    // src/main/native/packed_linear.c, bound by Native.register; pointers as addresses, 0 for NULL
    private static native int mmgpt_isa();

    private static native long mmgpt_packed_size(long rows, long columns);

    private static native void mmgpt_pack(long weight, long rows, long columns, long ld, long packed);

    private static native void mmgpt_linear(int isa, long x, long rows, long in, long packed, long out, long bias,
                                            long add, long y);
}
