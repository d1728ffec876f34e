package org.mmgpt.engine.model;

import ai.djl.ndarray.NDArray;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.LockSupport;

/**
 * Where the shards of one {@link ShardedDecoder} pass swap their partial outputs: each puts its own,
 * waits for all, and sums all in shard order, so every shard gets the same bits. Two buffers
 * alternate, so a shard can put its next partial while a slower one still reads the last: a shard
 * reaches exchange k+2 only after everyone has arrived at k+1, that is, finished reading k.
 *
 * <p>A shard that arrives early spins for a few microseconds (its partner is usually that close),
 * then sleeps until the last one to arrive wakes it. Why not spin longer: when another thread (the
 * JIT compiler, say) takes one of two cores, both shards share the other, and a spinning shard then
 * burns its whole time slice (about a millisecond, measured with {@code perf sched}) while the shard
 * it waits for cannot run; a sleeping one hands the core over at once.
 */
final class ShardExchange {
    private static final long SPIN_NANOS = TimeUnit.MICROSECONDS.toNanos(50);

    private final NDArray[][] buffers;
    private final int parties;
    private final AtomicInteger arrived = new AtomicInteger();
    private final AtomicReferenceArray<Thread> sleeping; // per shard: set while it may be parked
    private final int[] round; // per shard: how many exchanges it has done
    private volatile int generation;
    private volatile boolean aborted;

    ShardExchange(int parties) {
        this.parties = parties;
        this.buffers = new NDArray[2][parties];
        this.sleeping = new AtomicReferenceArray<>(parties);
        this.round = new int[parties];
    }

    /**
     * Shard {@code shard}'s {@code part} in, the sum over all shards out, in the manager of {@code part}
     * (each shard's arrays stay in its own manager).
     */
    NDArray sum(int shard, NDArray part) {
        NDArray[] buffer = buffers[round[shard]++ % 2];
        buffer[shard] = part;
        await(shard);
        NDArray total = buffer[0];
        for (int s = 1; s < parties; s++) {
            total = total.add(buffer[s]);
        }
        total.attach(part.getManager());
        return total;
    }

    private void await(int shard) {
        int g = generation;
        if (arrived.incrementAndGet() == parties) {
            arrived.set(0);
            generation = g + 1;
            wakeAll();
            return;
        }
        long spinUntil = System.nanoTime() + SPIN_NANOS;
        while (generation == g && System.nanoTime() < spinUntil) {
            Thread.onSpinWait();
        }
        // Registered before the last look at the generation, which the last arrival changes before it
        // looks for sleepers: one of the two sees the other, so no wake-up is lost.
        sleeping.set(shard, Thread.currentThread());
        try {
            while (generation == g) {
                if (aborted) {
                    throw new IllegalStateException("another decode shard failed");
                }
                LockSupport.park(this);
            }
        } finally {
            sleeping.set(shard, null);
        }
    }

    private void wakeAll() {
        for (int s = 0; s < parties; s++) {
            Thread t = sleeping.get(s);
            if (t != null) {
                LockSupport.unpark(t);
            }
        }
    }

    /** Makes every waiting and later {@link #sum} fail: a shard failed and the pass is lost. */
    void abort() {
        aborted = true;
        wakeAll();
    }
}
