package org.mmgpt.protocol.params;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.math.BigInteger;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.TreeMap;
import org.mmgpt.protocol.jobs.JobType;

/**
 * A job's validated parameters under their wire names, travelling as a plain JSON object. Built by
 * {@link JobValidator} (or {@link PipelinePlan} for a pipeline's stages); readers use the typed
 * getters, which accept whatever number class JSON decoding produced.
 */
public final class JobParams {

    private final Map<String, Object> values;

    private JobParams(Map<String, Object> values) {
        this.values = canonicalMap(values);
    }

    /**
     * Whatever number classes a JSON decoder chose, integers are kept as Long and other numbers as
     * Double, so two decodings of the same parameters are equal.
     */
    private static Object canonical(Object value) {
        if (value instanceof Integer || value instanceof Long || value instanceof Short || value instanceof Byte
                || value instanceof BigInteger) {
            return ((Number) value).longValue();
        }
        if (value instanceof Number n) {
            return n.doubleValue();
        }
        if (value instanceof Map<?, ?> map) {
            Map<String, Object> copy = new TreeMap<>();
            map.forEach((k, v) -> copy.put(String.valueOf(k), v));
            return canonicalMap(copy);
        }
        if (value instanceof List<?> list) {
            return list.stream().map(JobParams::canonical).toList();
        }
        return value;
    }

    private static Map<String, Object> canonicalMap(Map<String, Object> values) {
        Map<String, Object> copy = new TreeMap<>();
        values.forEach((k, v) -> copy.put(k, canonical(v)));
        return Collections.unmodifiableMap(copy);
    }

    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    public static JobParams of(Map<String, Object> values) {
        return new JobParams(values == null ? Map.of() : values);
    }

    @JsonValue
    public Map<String, Object> asMap() {
        return values;
    }

    public boolean has(Param param) {
        return values.containsKey(param.wireName());
    }

    public Optional<String> text(Param param) {
        return Optional.ofNullable(values.get(param.wireName())).map(Object::toString);
    }

    public OptionalLong integer(Param param) {
        Object value = values.get(param.wireName());
        return value instanceof Number n ? OptionalLong.of(n.longValue()) : OptionalLong.empty();
    }

    public OptionalDouble number(Param param) {
        Object value = values.get(param.wireName());
        return value instanceof Number n ? OptionalDouble.of(n.doubleValue()) : OptionalDouble.empty();
    }

    public Optional<Boolean> flag(Param param) {
        Object value = values.get(param.wireName());
        return value instanceof Boolean b ? Optional.of(b) : Optional.empty();
    }

    public List<String> names(Param param) {
        Object value = values.get(param.wireName());
        return value instanceof List<?> list ? list.stream().map(Object::toString).toList() : List.of();
    }

    /** A pipeline's stage object ({@code "sft": {...}}); empty for other jobs. */
    @SuppressWarnings("unchecked") // nested objects are canonical maps with String keys
    public JobParams stage(JobType stage) {
        return values.get(stage.wireName()) instanceof Map<?, ?> map
                ? new JobParams((Map<String, Object>) map)
                : new JobParams(Map.of());
    }

    /** The maximum number of lost attempts before the job fails (protocol default 3). */
    public int maxRetries() {
        return (int) integer(Param.MAX_RETRIES).orElse(JobValidator.DEFAULT_MAX_RETRIES);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof JobParams other && values.equals(other.values);
    }

    @Override
    public int hashCode() {
        return Objects.hash(values);
    }

    @Override
    public String toString() {
        return values.toString();
    }
}
