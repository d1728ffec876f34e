package org.mmgpt.engine.model;

import ai.djl.ndarray.NDArray;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Where the shards of one {@link ShardedDecoder} pass swap their partial outputs: each puts its own,
 * waits for all, and sums all in shard order, so every shard gets the same bits. Two buffers
 * alternate, so a shard can put its next partial while a slower one still reads the last: a shard
 * reaches exchange k+2 only after everyone has arrived at k+1, that is, finished reading k.
 */
final class ShardExchange {
    private static final int SPINS = 20_000; // the other shards are usually microseconds away
    private static final int YIELDS = 1_000; // then a busy machine gets the core back
    private static final long PARK_NANOS = TimeUnit.MICROSECONDS.toNanos(50); // then a late partner costs no CPU

    private final NDArray[][] buffers;
    private final int parties;
    private final AtomicInteger arrived = new AtomicInteger();
    private final int[] round; // per shard: how many exchanges it has done
    private volatile int generation;
    private volatile boolean aborted;

    ShardExchange(int parties) {
        this.parties = parties;
        this.buffers = new NDArray[2][parties];
        this.round = new int[parties];
    }

    /** Shard {@code shard}'s {@code part} in, the sum over all shards (+ {@code bias}, or null) out. */
    NDArray sum(int shard, NDArray part, NDArray bias) {
        NDArray[] buffer = buffers[round[shard]++ % 2];
        buffer[shard] = part;
        await();
        NDArray total = buffer[0];
        for (int s = 1; s < parties; s++) {
            total = total.add(buffer[s]);
        }
        return bias == null ? total : total.add(bias);
    }

    private void await() {
        int g = generation;
        if (arrived.incrementAndGet() == parties) {
            arrived.set(0);
            generation = g + 1;
            return;
        }
        for (int waits = 0; generation == g; waits++) {
            if (aborted) {
                throw new IllegalStateException("another decode shard failed");
            }
            if (waits < SPINS) {
                Thread.onSpinWait();
            } else if (waits < SPINS + YIELDS) {
                Thread.yield();
            } else {
                LockSupport.parkNanos(PARK_NANOS);
            }
        }
    }

    /** Makes every waiting and later {@link #sum} fail: a shard failed and the pass is lost. */
    void abort() {
        aborted = true;
    }
}
