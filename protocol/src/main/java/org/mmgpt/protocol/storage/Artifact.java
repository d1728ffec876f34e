package org.mmgpt.protocol.storage;

import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.time.Instant;
import java.util.Locale;

/** A published model or adapter directory, by its storage-relative path. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record Artifact(String path, Kind kind, long sizeBytes, Instant modifiedAt) {

    public enum Kind {
        /** config.json and *.safetensors: a full model. */
        MODEL,
        /** adapter_config.json: a LoRA adapter over some base model. */
        ADAPTER;

        @JsonValue
        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }
}
