package org.mmgpt.engine.data;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Counts records and collects the bad ones while a loader reads a directory. */
final class Errors {
    private final Path source;
    private final boolean skipBadLines;
    private final List<DataError> errors = new ArrayList<>();
    private int files;
    private int lines;

    Errors(Path source, boolean skipBadLines) {
        this.source = source;
        this.skipBadLines = skipBadLines;
    }

    void countFile() {
        files++;
    }

    void countLine() {
        lines++;
    }

    void add(Path file, int line, String message) {
        errors.add(new DataError(file, line, message));
    }

    /** Whether work on good records is still of use: not once the load is bound to fail. */
    boolean failing() {
        return !skipBadLines && !errors.isEmpty();
    }

    /** Fails with every bad record unless they are to be skipped. */
    void throwUnlessSkipping() {
        if (failing()) {
            throw DataException.badLines(source, errors);
        }
    }

    LoadReport report(int examples, int droppedNoLabels, int truncated) {
        return new LoadReport(files, lines, examples, errors.size(), droppedNoLabels, truncated, errors);
    }

    /** A load that skipped everything, or found nothing usable, is an error too. */
    void requireExamples(int examples, String what) {
        if (examples == 0) {
            StringBuilder b = new StringBuilder("no " + what + " in " + source + " (" + files
                    + (files == 1 ? " file, " : " files, ") + lines + (lines == 1 ? " line" : " lines"));
            if (!errors.isEmpty()) {
                b.append(", ").append(errors.size()).append(" bad, skipped; first: ").append(errors.get(0));
            }
            throw new DataException(b.append(')').toString());
        }
    }
}
