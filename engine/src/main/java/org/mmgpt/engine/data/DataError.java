package org.mmgpt.engine.data;

import java.nio.file.Path;

/** What is wrong with one line of a data file. */
public record DataError(Path file, int line, String message) {
    @Override
    public String toString() {
        return file + ":" + line + ": " + message;
    }
}
