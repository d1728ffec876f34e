package org.mmgpt.engine.data;

import java.util.List;

/**
 * What a loader did with a data directory.
 *
 * @param files data files read
 * @param lines records read: non-blank lines of .txt and JSON-lines files, elements of JSON-array files
 * @param examples examples produced (for pretraining: blocks)
 * @param skippedBadLines bad records skipped ({@code skipBadLines}); each one is in {@code errors}
 * @param droppedNoLabels examples dropped because no token was left to train on (SFT)
 * @param truncated examples kept but shortened to the length limits (SFT turns cut or left out, DPO
 *     prompt or replies cut)
 * @param errors every bad record, in file order; empty unless bad records were skipped
 */
public record LoadReport(int files, int lines, int examples, int skippedBadLines, int droppedNoLabels,
        int truncated, List<DataError> errors) {

    public LoadReport {
        errors = List.copyOf(errors);
    }

    /** One line for the log, e.g. "3 files, 1000 lines -> 998 examples; 2 bad lines skipped; 5 truncated". */
    public String summary() {
        StringBuilder b = new StringBuilder();
        b.append(files).append(files == 1 ? " file, " : " files, ")
                .append(lines).append(lines == 1 ? " line -> " : " lines -> ")
                .append(examples).append(examples == 1 ? " example" : " examples");
        if (skippedBadLines > 0) {
            b.append("; ").append(skippedBadLines).append(skippedBadLines == 1 ? " bad line" : " bad lines")
                    .append(" skipped (first: ").append(errors.get(0)).append(')');
        }
        if (droppedNoLabels > 0) {
            b.append("; ").append(droppedNoLabels).append(" dropped with no token left to train on");
        }
        if (truncated > 0) {
            b.append("; ").append(truncated).append(" truncated to the length limits");
        }
        return b.toString();
    }
}
