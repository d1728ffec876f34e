package org.mmgpt.protocol.inference;

import java.nio.file.Path;
import java.time.Instant;

/**
 * A model that can be served: a model directory, and the LoRA adapter applied to it, if any.
 *
 * @param id         its canonical id: "models/x", "adapters/y" (base from its adapter_config.json) or
 *                   "adapters/y@models/x" (an explicit base)
 * @param adapterDir null for a plain model
 * @param version    changes whenever a file the model is loaded from changes or the directory is
 *                   replaced (a newer artifact published under the same path)
 * @param modifiedAt when its directory was last published
 */
public record ServedModel(String id, Path modelDir, Path adapterDir, String version, Instant modifiedAt) {
}
