package org.mmgpt.protocol.params;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * What one parameter's value must look like. {@link #normalize} returns the value as it travels on
 * (integers as Long, numbers as Double, storage paths without "./" or trailing "/") or throws with a
 * message that says what was expected and what came.
 */
@FunctionalInterface
public interface ValueRule {

    Object normalize(Object raw) throws InvalidValueException;

    /** A value that breaks its rule; the message completes "params.x: ...". */
    final class InvalidValueException extends Exception {
        private static final long serialVersionUID = 1L;

        InvalidValueException(String message) {
            super(message, null, false, false);
        }
    }

    static ValueRule integer(long min, long max) {
        return raw -> {
            long value;
            if (raw instanceof Integer || raw instanceof Long || raw instanceof Short) {
                value = ((Number) raw).longValue();
            } else if (raw instanceof BigInteger big && big.bitLength() < 64) {
                value = big.longValue();
            } else {
                throw new InvalidValueException("must be an integer" + range(min, max) + ", got " + shown(raw));
            }
            if (value < min || value > max) {
                throw new InvalidValueException("must be an integer" + range(min, max) + ", got " + value);
            }
            return value;
        };
    }

    /** A finite number; {@code minExclusive}/{@code maxExclusive} say whether the bound itself is allowed. */
    static ValueRule number(double min, boolean minExclusive, double max, boolean maxExclusive) {
        String expected = "must be a number " + (minExclusive ? "> " : "≥ ") + plain(min)
                + (Double.isInfinite(max) ? "" : (maxExclusive ? " and < " : " and ≤ ") + plain(max));
        return raw -> {
            if (!(raw instanceof Number n) || !Double.isFinite(n.doubleValue())) {
                throw new InvalidValueException(expected + ", got " + shown(raw));
            }
            double value = n.doubleValue();
            boolean aboveMin = minExclusive ? value > min : value >= min;
            boolean belowMax = maxExclusive ? value < max : value <= max;
            if (!aboveMin || !belowMax) {
                throw new InvalidValueException(expected + ", got " + plain(value));
            }
            return value;
        };
    }

    static ValueRule bool() {
        return raw -> {
            if (raw instanceof Boolean b) {
                return b;
            }
            throw new InvalidValueException("must be true or false, got " + shown(raw));
        };
    }

    static ValueRule text() {
        return text(200);
    }

    static ValueRule text(int maxLength) {
        return raw -> {
            if (raw instanceof String s && !s.isBlank() && s.length() <= maxLength) {
                return s.strip();
            }
            throw new InvalidValueException("must be a non-empty string of at most " + maxLength + " characters, got "
                    + shown(raw));
        };
    }

    static ValueRule choice(String... allowed) {
        Set<String> values = Set.of(allowed);
        String list = String.join(", ", allowed);
        return raw -> {
            if (raw instanceof String s && values.contains(s)) {
                return s;
            }
            throw new InvalidValueException("must be one of " + list + ", got " + shown(raw));
        };
    }

    /**
     * A path relative to the storage root. Checked here by its text only: not absolute, no "..", no
     * home or drive prefix. Symbolic links are resolved where the files are touched (ArtifactStore).
     */
    static ValueRule storagePath() {
        return raw -> {
            if (!(raw instanceof String s) || s.isBlank()) {
                throw new InvalidValueException("must be a path relative to the storage root, got " + shown(raw));
            }
            return StoragePaths.normalize(s).orElseThrow(() -> new InvalidValueException(
                    "must be a path relative to the storage root without '..' (absolute paths and '~' are"
                            + " refused), got " + shown(raw)));
        };
    }

    /** Module names ("q_proj"), as a list or as the seed's comma-separated string; "all" means every linear layer. */
    static ValueRule moduleNames() {
        Pattern name = Pattern.compile("[A-Za-z0-9_.]{1,100}");
        return raw -> {
            List<?> items;
            if (raw instanceof String s) {
                items = Arrays.stream(s.split(",")).map(String::strip).collect(Collectors.toList());
            } else if (raw instanceof List<?> list) {
                items = list;
            } else {
                throw new InvalidValueException("must be \"all\", a comma-separated string or a list of module names, got " + shown(raw));
            }
            List<String> names = new ArrayList<>();
            for (Object item : items) {
                if (!(item instanceof String s) || !name.matcher(s).matches()) {
                    throw new InvalidValueException("has an invalid module name " + shown(item)
                            + " (letters, digits, '_' and '.' only)");
                }
                names.add(s);
            }
            if (names.isEmpty()) {
                throw new InvalidValueException("must name at least one module (or \"all\")");
            }
            return List.copyOf(names);
        };
    }

    private static String range(long min, long max) {
        if (max == Long.MAX_VALUE) {
            return " ≥ " + min;
        }
        return " from " + min + " to " + max;
    }

    private static String plain(double d) {
        return d == Math.rint(d) && Math.abs(d) < 1e15 ? String.valueOf((long) d) : String.valueOf(d);
    }

    static String shown(Object raw) {
        if (raw == null) {
            return "null";
        }
        String text = raw instanceof String s ? '"' + s + '"' : String.valueOf(raw);
        return text.length() > 80 ? text.substring(0, 77) + "..." : text;
    }
}
