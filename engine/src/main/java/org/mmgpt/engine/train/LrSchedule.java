package org.mmgpt.engine.train;

import java.util.List;

/**
 * The learning rate at each optimizer step, as transformers' schedulers give it: a linear warm-up
 * from 0, then linear decay to 0, half a cosine to 0, or constant. Step 0 is the first update (with a
 * warm-up its rate is 0, as in transformers).
 */
public record LrSchedule(String type, double baseLr, long warmupSteps, long totalSteps) {
    public static final List<String> TYPES = List.of("linear", "cosine", "constant", "constant_with_warmup");

    public LrSchedule {
        if (!TYPES.contains(type)) {
            throw new IllegalArgumentException("unknown lr_scheduler_type '" + type + "'; choose from " + TYPES);
        }
    }

    /** Warm-up steps from {@code --warmup-steps}, else {@code ceil(ratio · total)}. */
    public static long warmup(long warmupSteps, double warmupRatio, long totalSteps) {
        return warmupSteps > 0 ? warmupSteps : (long) Math.ceil(warmupRatio * totalSteps);
    }

    public double at(long step) {
        return baseLr * factor(step);
    }

    private double factor(long step) {
        if (type.equals("constant")) {
            return 1.0;
        }
        if (step < warmupSteps) {
            return (double) step / Math.max(1, warmupSteps);
        }
        return switch (type) {
            case "linear" -> Math.max(0.0, (double) (totalSteps - step) / Math.max(1, totalSteps - warmupSteps));
            case "cosine" -> {
                double progress = (double) (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
                yield Math.max(0.0, 0.5 * (1.0 + Math.cos(Math.PI * progress)));
            }
            default -> 1.0; // constant_with_warmup after the warm-up
        };
    }
}
