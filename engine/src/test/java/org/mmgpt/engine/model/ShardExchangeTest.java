package org.mmgpt.engine.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.mmgpt.engine.Autograd;
import org.mmgpt.engine.Djl;

/** The shards' barrier: every shard gets the same sums, round after round, however late a partner is. */
class ShardExchangeTest {
    @Test
    void everyShardGetsTheSameSumsEvenWithALatePartner() throws Exception {
        int parties = 3;
        int rounds = 50;
        ShardExchange exchange = new ShardExchange(parties);
        ExecutorService pool = Executors.newFixedThreadPool(parties);
        try (NDManager m = Djl.newManager()) {
            List<Future<float[]>> results = new ArrayList<>();
            for (int s = 0; s < parties; s++) {
                int shard = s;
                NDManager local = m.newSubManager(); // closed with m, once every shard has read every partial
                results.add(pool.submit(() -> {
                    Autograd.offOnThisThread();
                    float[] sums = new float[rounds];
                    for (int r = 0; r < rounds; r++) {
                        if (shard == 2 && r % 10 == 0) {
                            Thread.sleep(5); // past the spinning: the others sleep until it arrives
                        }
                        NDArray part = local.create(new float[] {shard + 10f * r});
                        NDArray total = exchange.sum(shard, part);
                        assertSame(local, total.getManager(), "the sum stays with the shard's own arrays");
                        sums[r] = total.getFloat(0);
                    }
                    return sums;
                }));
            }
            float[] first = results.get(0).get();
            for (Future<float[]> f : results) {
                assertArrayEquals(first, f.get());
            }
            for (int r = 0; r < rounds; r++) {
                assertEquals(0 + 1 + 2 + 3 * 10f * r, first[r], "round " + r);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void anAbortReleasesTheShardsStillWaiting() throws Exception {
        ShardExchange exchange = new ShardExchange(2);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (NDManager m = Djl.newManager()) {
            Future<NDArray> waiting = pool.submit(() -> exchange.sum(0, m.create(new float[] {1f})));
            Thread.sleep(50); // shard 1 never comes: it failed
            exchange.abort();
            ExecutionException e = assertThrows(ExecutionException.class, waiting::get);
            assertTrue(e.getCause().getMessage().contains("shard failed"), e.getCause().getMessage());
        } finally {
            pool.shutdownNow();
        }
    }
}
