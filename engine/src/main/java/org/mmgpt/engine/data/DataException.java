package org.mmgpt.engine.data;

import java.nio.file.Path;
import java.util.List;

/**
 * Training data that cannot be used: bad records (each reported as {@code file:line: what is wrong}),
 * or a directory with nothing to read. Thrown before training starts.
 */
public final class DataException extends IllegalArgumentException {
    /** How many bad records the message lists; the rest are counted. */
    public static final int LISTED = 20;

    private final transient List<DataError> errors;

    DataException(String message) {
        super(message);
        this.errors = List.of();
    }

    private DataException(String message, List<DataError> errors) {
        super(message);
        this.errors = List.copyOf(errors);
    }

    /** The data in {@code source} has bad records: all of them, in file order. */
    static DataException badLines(Path source, List<DataError> errors) {
        int n = errors.size();
        StringBuilder b = new StringBuilder();
        b.append(n).append(n == 1 ? " bad line" : " bad lines").append(" in ").append(source)
                .append(" (fix ").append(n == 1 ? "it" : "them")
                .append(", or skip bad lines with --skip-bad-lines):");
        for (int i = 0; i < Math.min(n, LISTED); i++) {
            b.append('\n').append(errors.get(i));
        }
        if (n > LISTED) {
            b.append("\nand ").append(n - LISTED).append(" more (").append(n).append(" bad lines in all)");
        }
        return new DataException(b.toString(), errors);
    }

    /** Every bad record found (empty when the data was unusable for another reason). */
    public List<DataError> errors() {
        return errors;
    }
}
