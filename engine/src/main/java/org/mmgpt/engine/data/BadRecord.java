package org.mmgpt.engine.data;

/** One record is unusable; the message says what is wrong, without the file and line. */
final class BadRecord extends Exception {
    BadRecord(String message) {
        super(message, null, false, false);
    }
}
