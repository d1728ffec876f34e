package org.mmgpt.e2e.harness;

import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;

/** Polling with a deadline. The deadlines guard against hangs; no test asserts how fast anything is. */
public final class Waits {

    private Waits() {
    }

    /**
     * Calls {@code probe} every {@code every} until it returns a value, and returns that value; fails
     * after {@code max} with {@code what} and the last state {@code describe} gives.
     */
    public static <T> T until(String what, Duration max, Duration every, Supplier<Optional<T>> probe,
            Supplier<String> describe) {
        long deadline = System.nanoTime() + max.toNanos();
        while (true) {
            Optional<T> value = probe.get();
            if (value.isPresent()) {
                return value.get();
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("gave up waiting " + max + " for " + what + "; last seen: " + describe.get());
            }
            sleep(every);
        }
    }

    public static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
