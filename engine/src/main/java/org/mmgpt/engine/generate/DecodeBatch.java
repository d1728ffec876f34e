package org.mmgpt.engine.generate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import org.mmgpt.engine.Autograd;
import org.mmgpt.engine.model.CausalLM;
import org.mmgpt.engine.model.KvCache;

/**
 * Sequences decoded together, one token each per {@link #step()}, over one batched KV cache.
 *
 * <p>Rows are left-padded in the cache: row r's first {@code pad[r]} cached positions are padding,
 * masked out of attention, and its position ids count real tokens only, so every row computes what it
 * would alone. New sequences can be {@link #admit admitted} between steps (continuous batching): they
 * are prefilled together, then their cache joins the batch's, the shorter side padded on the left.
 * Finished and cancelled sequences leave at the end of the step, and columns that became padding in
 * every row are trimmed.
 */
public final class DecodeBatch implements AutoCloseable {
    private final CausalLM model;
    private final NDManager manager;
    private KvCache cache;
    private final List<Row> rows = new ArrayList<>();

    /** One sequence in the batch: how much padding precedes it, its next position, its last token. */
    private static final class Row {
        final Sequence sequence;
        int pad;
        long position;
        long last;

        Row(Sequence sequence, int pad, long position, long last) {
            this.sequence = sequence;
            this.pad = pad;
            this.position = position;
            this.last = last;
        }
    }

    public DecodeBatch(CausalLM model) {
        Autograd.offOnThisThread();
        this.model = model;
        this.manager = model.manager().newSubManager();
    }

    public int size() {
        return rows.size();
    }

    public boolean isEmpty() {
        return rows.isEmpty();
    }

    /** Prefills {@code sequences} together, samples their first tokens and adds them to the batch. */
    public void admit(List<Sequence> sequences) {
        Autograd.offOnThisThread(); // a serving loop may admit and step on another thread than it was made on
        List<Sequence> todo = new ArrayList<>();
        for (Sequence s : sequences) {
            if (s.params().maxNewTokens() == 0) {
                s.finish(FinishReason.LENGTH, -1, "");
            } else {
                todo.add(s);
            }
        }
        if (todo.isEmpty()) {
            return;
        }
        int n = todo.size();
        int len = todo.stream().mapToInt(Sequence::promptLength).max().orElseThrow();
        long[] ids = new long[n * len];
        long[][] positions = new long[n][len];
        boolean[][] valid = new boolean[n][len];
        boolean padded = false;
        List<Row> fresh = new ArrayList<>();
        for (int r = 0; r < n; r++) {
            long[] p = todo.get(r).prompt();
            int pad = len - p.length;
            padded |= pad > 0;
            System.arraycopy(p, 0, ids, r * len + pad, p.length);
            for (int j = 0; j < len; j++) {
                positions[r][j] = Math.max(0, j - pad);
                valid[r][j] = j >= pad;
            }
            fresh.add(new Row(todo.get(r), pad, p.length, 0));
        }
        KvCache prefill = model.newCache();
        float[][] logits;
        try (NDManager step = manager.newSubManager()) {
            NDArray input = step.create(ids).reshape(n, len);
            logits = CausalLM.rows(model.lastLogits(input, positions, padded ? valid : null, prefill)); // (n)(V)
        }
        join(prefill, fresh);
        for (int r = 0; r < n; r++) {
            take(fresh.get(r), logits[r]);
        }
        evictFinished();
    }

    /** One token for every sequence in the batch. */
    public void step() {
        if (rows.isEmpty()) {
            return;
        }
        Autograd.offOnThisThread();
        int b = rows.size();
        int s = cache.length() + 1;
        long[] ids = new long[b];
        long[][] positions = new long[b][1];
        boolean[][] valid = null;
        for (int r = 0; r < b; r++) {
            Row row = rows.get(r);
            ids[r] = row.last;
            positions[r][0] = row.position;
            if (row.pad > 0) {
                valid = valid == null ? new boolean[b][s] : valid;
            }
        }
        if (valid != null) {
            for (int r = 0; r < b; r++) {
                for (int j = 0; j < s; j++) {
                    valid[r][j] = j >= rows.get(r).pad;
                }
            }
        }
        float[][] logits = model.stepLogits(ids, positions, valid, cache); // (B)(V)
        for (int r = 0; r < b; r++) {
            Row row = rows.get(r);
            row.position++;
            take(row, logits[r]);
        }
        evictFinished();
    }

    private void take(Row row, float[] logits) {
        if (row.sequence.cancelRequested()) {
            row.sequence.finish(FinishReason.CANCELLED, -1, "");
            return;
        }
        int id = row.sequence.sample(logits);
        row.last = id;
        row.sequence.accept(id);
    }

    /** Merges a freshly prefilled cache into the batch's, padding the shorter one on the left. */
    private void join(KvCache fresh, List<Row> freshRows) {
        if (cache == null) {
            cache = fresh;
            rows.addAll(freshRows);
            return;
        }
        int diff = cache.length() - fresh.length();
        if (diff > 0) {
            fresh.padLeft(diff);
            freshRows.forEach(r -> r.pad += diff);
        } else if (diff < 0) {
            cache.padLeft(-diff);
            rows.forEach(r -> r.pad -= diff);
        }
        cache.appendRows(fresh);
        rows.addAll(freshRows);
    }

    private void evictFinished() {
        List<Row> keep = new ArrayList<>();
        List<Long> index = new ArrayList<>();
        for (int r = 0; r < rows.size(); r++) {
            Row row = rows.get(r);
            if (row.sequence.finished()) {
                continue;
            }
            if (row.sequence.cancelRequested()) {
                row.sequence.finish(FinishReason.CANCELLED, -1, "");
                continue;
            }
            keep.add(row);
            index.add((long) r);
        }
        if (keep.size() == rows.size()) {
            return;
        }
        rows.clear();
        rows.addAll(keep);
        if (keep.isEmpty()) {
            cache.close();
            cache = null;
            return;
        }
        cache.keepRows(index.stream().mapToLong(Long::longValue).toArray());
        int common = keep.stream().mapToInt(r -> r.pad).min().orElse(0);
        if (common > 0) {
            cache.trimLeft(common);
            keep.forEach(r -> r.pad -= common);
        }
    }

    @Override
    public void close() {
        rows.forEach(r -> {
            if (!r.sequence.finished()) {
                r.sequence.finish(FinishReason.CANCELLED, -1, "");
            }
        });
        rows.clear();
        manager.close();
    }
}
