package org.mmgpt.engine.data;

import java.util.List;

/** What a loader produced: the examples, in file order, and what happened on the way. */
public record Loaded<T>(List<T> examples, LoadReport report) {
    public Loaded {
        examples = List.copyOf(examples);
    }
}
