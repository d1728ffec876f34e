package org.mmgpt.inference;

import java.lang.System.Logger.Level;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.mmgpt.engine.chat.ChatMessage;
import org.mmgpt.engine.chat.ChatTemplate;
import org.mmgpt.engine.generate.DecodeBatch;
import org.mmgpt.engine.generate.FinishReason;
import org.mmgpt.engine.generate.LanguageModel;
import org.mmgpt.engine.generate.SamplingParams;
import org.mmgpt.engine.generate.Sequence;
import org.mmgpt.protocol.inference.InferenceError;
import org.mmgpt.protocol.inference.InferenceError.Code;
import org.mmgpt.protocol.inference.Sampling;
import org.mmgpt.protocol.inference.ServedModel;

/**
 * One resident model and the one thread that generates with it: a loop around a single
 * {@link DecodeBatch}. Tasks wait in a bounded queue; between two decoding steps the waiting ones
 * that fit are prefilled and join the running batch (continuous batching), and finished, cancelled or
 * expired sequences leave it. Each sequence keeps its own sampling parameters and stop conditions.
 *
 * <p>Capacity is counted in sequences (a task with n choices takes n): {@code maxBatch} run at once,
 * {@code maxQueued} more may wait; a task beyond that is refused ({@link Offer#FULL}), so a caller
 * learns at once that the worker is overloaded instead of waiting behind an unbounded queue.
 */
final class ModelServer {

    private static final System.Logger LOG = System.getLogger(ModelServer.class.getName());

    enum Offer {
        /** Taken: the task's output hears how it ends (already, if the server could not serve it at all). */
        ACCEPTED,
        /** The queue is full: the worker is overloaded. */
        FULL,
        /** The server is retiring (evicted, or a newer version was published): ask the pool again. */
        RETIRED
    }

    enum State { LOADING, SERVING, FAILED, CLOSED }

    private final ServedModel model;
    private final int maxBatch;
    private final int maxQueued;
    private final Thread thread;
    private final Consumer<ModelServer> onClosed;

    private final Object lock = new Object();
    private final ArrayDeque<GenerationTask> waiting = new ArrayDeque<>(); // guarded by lock
    private int held; // sequences waiting or running, guarded by lock
    private boolean retired; // guarded by lock
    private final Map<String, Running> running = new ConcurrentHashMap<>();

    private volatile State state = State.LOADING;
    private volatile String loadError;

    /** A task in the batch: its sequences, and how many have not finished. */
    private final class Running {
        final GenerationTask task;
        final List<Sequence> sequences = new ArrayList<>();
        int unfinished;
        boolean failed;

        Running(GenerationTask task) {
            this.task = task;
            this.unfinished = task.n();
        }

        /** Ends the task with an error; its sequences leave the batch at the next step, silently. */
        void fail(InferenceError error) {
            if (!failed) {
                failed = true;
                sequences.forEach(Sequence::cancel);
                task.output().failed(error);
            }
        }
    }

    /** @param onClosed told when the loop has ended and the model is freed (or failed to load) */
    ModelServer(ServedModel model, int maxBatch, int maxQueued, Consumer<ModelServer> onClosed) {
        this.model = model;
        this.maxBatch = maxBatch;
        this.maxQueued = maxQueued;
        this.onClosed = onClosed;
        this.thread = new Thread(this::serve, "generate-" + model.id());
    }

    ModelServer start() {
        thread.start();
        return this;
    }

    ServedModel model() {
        return model;
    }

    State state() {
        return state;
    }

    /** Sequences waiting or running. */
    int load() {
        synchronized (lock) {
            return held;
        }
    }

    Offer offer(GenerationTask task) {
        synchronized (lock) {
            if (retired) {
                return Offer.RETIRED;
            }
            if (state == State.FAILED) {
                task.output().failed(InferenceError.of(Code.INTERNAL, loadError));
                return Offer.ACCEPTED;
            }
            if (task.n() > maxBatch) { // it would wait at the head of the queue forever
                task.output().failed(InferenceError.of(Code.INVALID_REQUEST, "n is " + task.n()
                        + " but this worker generates at most " + maxBatch + " sequences together"));
                return Offer.ACCEPTED;
            }
            if (held + task.n() > maxBatch + maxQueued) {
                return Offer.FULL;
            }
            held += task.n();
            waiting.add(task);
            lock.notifyAll();
            return Offer.ACCEPTED;
        }
    }

    /** Drops the task: a waiting one leaves the queue, a running one leaves the batch at the next step. */
    boolean cancel(String taskId) {
        synchronized (lock) {
            for (Iterator<GenerationTask> it = waiting.iterator(); it.hasNext(); ) {
                GenerationTask task = it.next();
                if (task.id().equals(taskId)) {
                    it.remove();
                    held -= task.n();
                    return true;
                }
            }
        }
        Running r = running.get(taskId);
        if (r != null) {
            r.sequences.forEach(Sequence::cancel);
            return true;
        }
        return false;
    }

    /** Takes no new tasks; finishes those it has, then frees the model. */
    void retire() {
        synchronized (lock) {
            retired = true;
            lock.notifyAll();
        }
    }

    /** Retires and waits for the loop to end (at most {@code millis}). */
    void close(long millis) throws InterruptedException {
        retire();
        thread.join(millis);
    }

    private void serve() {
        try {
            generate();
        } finally {
            onClosed.accept(this);
        }
    }

    private void generate() {
        LanguageModel lm;
        try {
            lm = LanguageModel.load(model.modelDir(), model.adapterDir());
        } catch (RuntimeException e) {
            failLoad(e);
            return;
        }
        state = State.SERVING;
        LOG.log(Level.INFO, "model {0} loaded (version {1})", model.id(), model.version());
        Prompts prompts = new Prompts(lm);
        DecodeBatch batch = new DecodeBatch(lm.model());
        try {
            List<GenerationTask> fresh;
            while ((fresh = take(batch.size())) != null) {
                try {
                    admit(prompts, batch, fresh);
                    expire(Instant.now());
                    batch.step();
                } catch (RuntimeException e) {
                    // A native failure mid-step: the batch's state is unknown. Its tasks fail; the loop goes on.
                    LOG.log(Level.ERROR, "generation with " + model.id() + " failed", e);
                    running.values().forEach(r -> r.fail(InferenceError.of(Code.INTERNAL,
                            "generation failed: " + e.getMessage())));
                    batch.close();
                    batch = new DecodeBatch(lm.model());
                }
            }
        } finally {
            batch.close();
            lm.close();
            state = State.CLOSED;
            LOG.log(Level.INFO, "model {0} (version {1}) unloaded", model.id(), model.version());
        }
    }

    private void failLoad(RuntimeException e) {
        List<GenerationTask> orphans;
        synchronized (lock) {
            loadError = "cannot load model " + model.id() + ": " + e.getMessage();
            state = State.FAILED;
            orphans = new ArrayList<>(waiting);
            waiting.clear();
            held = 0;
        }
        LOG.log(Level.ERROR, loadError, e);
        orphans.forEach(t -> t.output().failed(InferenceError.of(Code.INTERNAL, loadError)));
    }

    /**
     * The waiting tasks that fit into the batch now; waits while there is nothing to do. Null when the
     * server is retired and has nothing left.
     */
    private List<GenerationTask> take(int runningSequences) {
        synchronized (lock) {
            while (waiting.isEmpty() && runningSequences == 0) {
                if (retired) {
                    return null;
                }
                try {
                    lock.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return null;
                }
            }
            List<GenerationTask> fresh = new ArrayList<>();
            int room = maxBatch - runningSequences;
            while (!waiting.isEmpty() && waiting.peek().n() <= room) {
                GenerationTask task = waiting.poll();
                room -= task.n();
                fresh.add(task);
            }
            return fresh;
        }
    }

    /** Prepares the fresh tasks' sequences and prefills them together into the batch. */
    private void admit(Prompts prompts, DecodeBatch batch, List<GenerationTask> fresh) {
        Instant now = Instant.now();
        List<Sequence> joining = new ArrayList<>();
        for (GenerationTask task : fresh) {
            if (task.expired(now)) {
                release(task.n());
                task.output().failed(InferenceError.of(Code.TIMEOUT, "the request's deadline passed while it waited"));
                continue;
            }
            Running r = new Running(task);
            try {
                long[] ids = prompts.ids(task);
                for (int i = 0; i < task.n(); i++) {
                    r.sequences.add(prompts.lm().sequence(ids, prompts.params(task, ids.length, i), listener(r, i)));
                }
            } catch (IllegalArgumentException e) { // a template that refuses the conversation, a prompt too long
                release(task.n());
                task.output().failed(InferenceError.of(Code.INVALID_REQUEST, e.getMessage()));
                continue;
            } catch (RuntimeException e) {
                LOG.log(Level.ERROR, "cannot prepare request " + task.id(), e);
                release(task.n());
                task.output().failed(InferenceError.of(Code.INTERNAL, "cannot prepare the request: " + e.getMessage()));
                continue;
            }
            running.put(task.id(), r);
            joining.addAll(r.sequences);
        }
        if (!joining.isEmpty()) {
            batch.admit(joining);
        }
    }

    /** Tasks past their deadline leave the batch; their output hears why. */
    private void expire(Instant now) {
        for (Running r : running.values()) {
            if (r.task.expired(now)) {
                r.fail(InferenceError.of(Code.TIMEOUT, "the request's deadline passed during generation"));
            }
        }
    }

    private Sequence.Listener listener(Running r, int index) {
        return new Sequence.Listener() {
            @Override
            public void onToken(Sequence s, int id, String delta) {
                if (!delta.isEmpty() && !r.failed) {
                    r.task.output().text(index, delta);
                }
            }

            @Override
            public void onFinish(Sequence s) {
                if (s.finishReason() != FinishReason.CANCELLED && !r.failed) {
                    r.task.output().end(index, s.finishReason(), s.text(), s.promptLength(), s.generatedCount());
                }
                release(1);
                if (--r.unfinished == 0) {
                    running.remove(r.task.id());
                }
            }
        };
    }

    private void release(int sequences) {
        synchronized (lock) {
            held -= sequences;
        }
    }

    /** Turns tasks into prompt ids and sampling parameters with the loaded model. Generation thread only. */
    private static final class Prompts {
        private final LanguageModel lm;
        private final Map<String, ChatTemplate> templates = new HashMap<>();
        private final int context;

        Prompts(LanguageModel lm) {
            this.lm = lm;
            this.context = lm.model().config().maxPositionEmbeddings();
        }

        LanguageModel lm() {
            return lm;
        }

        long[] ids(GenerationTask task) {
            long[] ids;
            if (task.messages() != null) {
                List<ChatMessage> messages = task.messages().stream()
                        .map(m -> new ChatMessage(m.role(), m.content())).toList();
                ids = lm.chatPrompt(template(task.template()), messages);
            } else {
                ids = lm.tokenizer().encode(task.prompt());
            }
            if (ids.length == 0) {
                throw new IllegalArgumentException("the prompt is empty: at least one token is needed");
            }
            Integer maxTokens = task.sampling().maxTokens();
            if (ids.length + (maxTokens == null ? 0 : maxTokens) > context) {
                throw new IllegalArgumentException("This model's maximum context length is " + context
                        + " tokens. However, you requested " + (ids.length + (maxTokens == null ? 0 : maxTokens))
                        + " tokens (" + ids.length + " in the messages, " + (maxTokens == null ? 0 : maxTokens)
                        + " in the completion). Please reduce the length of the messages or completion.");
            }
            return ids;
        }

        /**
         * The model's defaults, then the request's fields; stop strings are the request's plus the chat
         * template's, stop ids the model's eos ids plus the request's.
         */
        SamplingParams params(GenerationTask task, int promptLength, int choice) {
            Sampling s = task.sampling();
            SamplingParams.Builder b = lm.defaults();
            SamplingParams defaults = b.build();
            b.maxNewTokens(s.maxTokens() != null ? s.maxTokens()
                    : Math.min(defaults.maxNewTokens(), context - promptLength));
            b.sampling(toFloat(s.temperature()), toFloat(s.topP()), s.topK());
            if (s.repetitionPenalty() != null) {
                b.repetitionPenalty(s.repetitionPenalty().floatValue());
            }
            if (s.presencePenalty() != null) {
                b.presencePenalty(s.presencePenalty().floatValue());
            }
            if (s.frequencyPenalty() != null) {
                b.frequencyPenalty(s.frequencyPenalty().floatValue());
            }
            if (s.seed() != null) {
                b.seed(s.seed() + choice);
            }
            Set<String> stops = new LinkedHashSet<>(s.stop());
            if (task.messages() != null) {
                stops.addAll(template(task.template()).stopStrings());
            }
            b.stopStrings(List.copyOf(stops));
            Set<Long> stopIds = new LinkedHashSet<>(defaults.stopTokenIds());
            stopIds.addAll(s.stopTokenIds());
            b.stopTokenIds(stopIds);
            return b.build();
        }

        private ChatTemplate template(String name) {
            return templates.computeIfAbsent(name == null ? "" : name, k -> lm.template(name));
        }

        private static Float toFloat(Double d) {
            return d == null ? null : d.floatValue();
        }
    }
}
