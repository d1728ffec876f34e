package org.mmgpt.protocol.params;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The text rule for storage-relative paths, shared by parameter validation and ArtifactStore. */
public final class StoragePaths {

    private StoragePaths() {
    }

    /**
     * The path in normal form ("data/sft", no "./", no doubled or trailing "/"), or empty when it
     * could leave the storage root: absolute, "~"-prefixed, a Windows drive, a ".." segment, a
     * backslash or a control character.
     */
    public static Optional<String> normalize(String path) {
        if (path.isBlank() || path.startsWith("/") || path.startsWith("~") || path.contains("\\")
                || path.matches("^[A-Za-z]:.*") || path.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            return Optional.empty();
        }
        List<String> segments = new ArrayList<>();
        for (String segment : path.split("/")) {
            if (segment.equals("..")) {
                return Optional.empty();
            }
            if (!segment.isEmpty() && !segment.equals(".")) {
                segments.add(segment);
            }
        }
        return segments.isEmpty() ? Optional.empty() : Optional.of(String.join("/", segments));
    }
}
