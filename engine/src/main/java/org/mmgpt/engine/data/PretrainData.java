package org.mmgpt.engine.data;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import org.mmgpt.engine.tokenizer.Tokenizer;

/**
 * Pretraining data, packed as the seed's {@code pretraining.py} packs it ({@code packing=True}, its
 * default): every document is tokenized (with a BOS first where the tokenizer adds one, as
 * {@code tokenizer(text)} does), ends with EOS (unless its last token already is EOS), all documents
 * are concatenated in file order and cut into blocks of {@code blockSize} tokens; the remainder is
 * dropped. Labels are the inputs.
 *
 * <p>Documents: each non-blank line of a {@code .txt} file, with its line break (the seed reads text
 * with {@code keep_linebreaks=True}), and the {@code "text"} of each record of a {@code .jsonl} or
 * {@code .json} file. Blank lines are skipped (the seed would turn each into a lone EOS).
 *
 * <p>Two differences from the seed, both deliberate: the seed packs each batch of 1000 documents on
 * its own (a Hugging Face {@code map(batched=True)} detail), dropping a remainder per batch, where
 * this packs the whole corpus at once; and when the corpus holds fewer tokens than one block, this
 * gives the one shorter block the seed gives, rather than nothing.
 */
public final class PretrainData {
    private PretrainData() {}

    public static Loaded<Example> load(Path dir, Tokenizer tok, int blockSize, boolean skipBadLines) {
        if (blockSize < 2) {
            throw new IllegalArgumentException("block size must be at least 2 tokens, not " + blockSize);
        }
        long eos = endOfDocument(tok);
        OptionalLong bos = tok.addBosToken() ? tok.bosTokenId() : OptionalLong.empty();
        Errors errors = new Errors(dir, skipBadLines);
        LongList all = new LongList(1 << 16);
        for (Path file : DataFiles.list(dir, DataFiles.TEXT_AND_JSON)) {
            errors.countFile();
            if (DataFiles.extension(file).equals("txt")) {
                DataFiles.readText(file, errors, line -> {
                    if (!errors.failing()) {
                        addDocument(all, tok, line.text(), bos, eos);
                    }
                });
            } else {
                DataFiles.readJson(file, errors, record -> {
                    String text;
                    try {
                        DataFiles.requireObject(record.node());
                        text = DataFiles.text(record.node(), "text", "");
                    } catch (BadRecord e) {
                        errors.add(record.file(), record.line(), e.getMessage());
                        return;
                    }
                    if (!errors.failing()) {
                        addDocument(all, tok, text, bos, eos);
                    }
                });
            }
        }
        errors.throwUnlessSkipping();

        int total = all.size();
        List<Example> blocks = new ArrayList<>(total / blockSize + 1);
        if (total > 0 && total < blockSize) {
            long[] ids = all.toArray();
            blocks.add(new Example(ids, ids.clone()));
        }
        for (int start = 0; start + blockSize <= total; start += blockSize) {
            long[] ids = all.slice(start, start + blockSize);
            blocks.add(new Example(ids, ids.clone()));
        }
        errors.requireExamples(blocks.size(), "pretraining text");
        return new Loaded<>(blocks, errors.report(blocks.size(), 0, 0));
    }

    private static void addDocument(LongList all, Tokenizer tok, String text, OptionalLong bos, long eos) {
        long[] ids = tok.encode(text);
        if (bos.isPresent() && (ids.length == 0 || ids[0] != bos.getAsLong())) {
            all.add(bos.getAsLong());
        }
        all.addAll(ids);
        if (ids.length == 0 || ids[ids.length - 1] != eos) {
            all.add(eos);
        }
    }

    /** The seed's separator: eos_token_id, else pad_token_id. */
    private static long endOfDocument(Tokenizer tok) {
        OptionalLong eos = tok.eosTokenId();
        if (eos.isPresent()) {
            return eos.getAsLong();
        }
        try {
            return tok.padTokenId();
        } catch (IllegalStateException e) {
            throw new IllegalArgumentException("the tokenizer in " + tok.directory()
                    + " has no eos_token (nor pad_token) to end documents with", e);
        }
    }
}
