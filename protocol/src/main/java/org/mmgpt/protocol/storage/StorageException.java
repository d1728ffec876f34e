package org.mmgpt.protocol.storage;

import java.io.IOException;

/** A storage path that is refused (it leaves the storage root) or missing. */
public final class StorageException extends IOException {
    private static final long serialVersionUID = 1L;

    public StorageException(String message) {
        super(message);
    }
}
