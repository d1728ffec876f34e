package org.mmgpt.engine.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mmgpt.engine.Djl;

/** The native packed products compute libtorch's linear, for any block of a weight, row count and shape. */
class PackedWeightTest {
    private static void assumeBuiltFor(int isa) {
        assumeTrue(Djl.class.getResource("/native/linux-x86_64/libmmgpt_packed_linear.so") != null,
                "this build had no C compiler at /usr/bin/cc, so it has no packed products");
        assumeTrue(PackedWeight.supports(isa), "this CPU lacks instruction set " + isa);
    }

    /**
     * Random blocks of random weights, with shapes off every vector and panel width (1 to 130 rows of
     * W, 1 to 70 columns, 1 to 20 rows of x), a bias, a residual added, both, or neither.
     */
    @ParameterizedTest
    @ValueSource(ints = {PackedWeight.AVX2, PackedWeight.AVX512})
    void aPackedBlockComputesTheLinearOfThatBlock(int isa) {
        assumeBuiltFor(isa);
        Random r = new Random(7);
        try (NDManager m = Djl.newManager()) {
            for (int trial = 0; trial < 60; trial++) {
                int out = 1 + r.nextInt(130);
                int in = 1 + r.nextInt(70);
                int row = r.nextInt(3);
                int column = r.nextInt(3);
                NDArray full = m.randomNormal(new Shape(out + row + r.nextInt(2), in + column + r.nextInt(3)));
                NDArray block = full.get(new NDIndex("{}:{}, {}:{}", row, row + out, column, column + in));
                long rows = 1 + r.nextInt(20);
                NDArray x = m.randomNormal(new Shape(rows, in));
                NDArray bias = trial % 2 == 0 ? m.randomNormal(new Shape(out)) : null;
                NDArray add = trial % 3 == 0 ? m.randomNormal(new Shape(rows, out)) : null;

                NDArray y = PackedWeight.of(full, row, out, column, in, m, isa).times(x, bias, add);

                NDArray expected = x.getNDArrayInternal().linear(x, block, bias).singletonOrThrow();
                if (add != null) {
                    expected = expected.add(add);
                }
                assertEquals(expected.getShape(), y.getShape());
                float diff = expected.sub(y).abs().max().getFloat();
                assertTrue(diff < 1e-4f, "trial " + trial + " (" + rows + "×" + in + ")·(" + out + "×" + in + ")ᵀ: " + diff);
            }
        }
    }

    /** What batch decoding equal to decoding alone rests on: a row's output is the same bits in any batch. */
    @ParameterizedTest
    @ValueSource(ints = {PackedWeight.AVX2, PackedWeight.AVX512})
    void aRowGetsTheSameBitsAloneAndAmongOthers(int isa) {
        assumeBuiltFor(isa);
        try (NDManager m = Djl.newManager()) {
            NDArray w = m.randomNormal(new Shape(100, 77));
            PackedWeight packed = PackedWeight.of(w, 0, 100, 0, 77, m, isa);
            NDArray batch = m.randomNormal(new Shape(11, 77));
            float[] together = packed.times(batch, null, null).toFloatArray();
            for (int i = 0; i < 11; i++) {
                float[] alone = packed.times(batch.get(new NDIndex("{}:{}", i, i + 1)), null, null).toFloatArray();
                float[] inBatch = new float[100];
                System.arraycopy(together, i * 100, inBatch, 0, 100);
                assertArrayEquals(alone, inBatch, "row " + i);
            }
            // leading axes are kept: (2, 3, 77) → (2, 3, 100)
            assertEquals(new Shape(2, 3, 100), packed.times(m.ones(new Shape(2, 3, 77)), null, null).getShape());
            assertEquals(new Shape(0, 100), packed.times(m.ones(new Shape(0, 77)), null, null).getShape());
            // what the native code would read or write past the end of is refused before it runs
            NDArray one = m.ones(new Shape(1, 77));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> packed.times(m.ones(new Shape(1, 76)), null, null));
            assertTrue(e.getMessage().contains("77"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> packed.times(one.toType(DataType.FLOAT64, false), null, null));
            assertTrue(e.getMessage().contains("float32"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> PackedWeight.of(w, 1, 100, 0, 77, m, isa));
            assertTrue(e.getMessage().contains("not a block of (100, 77)"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> packed.times(one, m.ones(new Shape(99)), null));
            assertTrue(e.getMessage().contains("bias"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> packed.times(one, null, m.ones(new Shape(2, 100))));
            assertTrue(e.getMessage().contains("added"), e.getMessage());
        }
    }
}
