package org.mmgpt.inference;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.mmgpt.engine.data.QueryData;
import org.mmgpt.engine.data.QueryData.Query;
import org.mmgpt.engine.generate.FinishReason;
import org.mmgpt.protocol.inference.ChatMessage;
import org.mmgpt.protocol.inference.InferenceError;
import org.mmgpt.protocol.inference.ModelCatalog;
import org.mmgpt.protocol.inference.ModelNotFoundException;
import org.mmgpt.protocol.inference.Sampling;
import org.mmgpt.protocol.jobs.JobRequest;
import org.mmgpt.protocol.jobs.JobType;
import org.mmgpt.protocol.params.JobParams;
import org.mmgpt.protocol.params.Param;
import org.mmgpt.protocol.storage.ArtifactStore;
import org.mmgpt.worker.CancellationToken;
import org.mmgpt.worker.JobHandler;
import org.mmgpt.worker.JobResult;
import org.mmgpt.worker.ProgressSink;

/**
 * Runs batch-inference jobs (the seed's {@code inference.py --data_file ... --output_file ...}): every
 * query of the data file is answered by the same model servers that answer live requests, at most
 * {@code eval_batch_size} of the job's queries at a time, so live requests keep their places in the
 * batch. Each query is sampled as a live request with the same fields would be. The answers are
 * written in input order to a staging file and published to {@code output_file} with one rename; an
 * attempt after a lost one starts over (queries are cheap next to training; nothing half-written is
 * ever visible).
 */
@ApplicationScoped
public class BatchInferenceHandler implements JobHandler {

    private static final long RETRY_FULL_MILLIS = 200;

    @Inject
    ArtifactStore store;
    @Inject
    ServingService serving;
    @Inject
    InferenceConfig config;

    /** How one query ended: its text and generated tokens, or the error that failed it. */
    private record Answer(int query, String text, int tokens, InferenceError error) {
    }

    @Override
    public JobResult run(JobRequest request, ProgressSink progress, CancellationToken cancellation) throws Exception {
        if (request.type() != JobType.BATCH_INFERENCE) {
            throw new IllegalArgumentException("the inference worker runs batch-inference jobs, not "
                    + request.type().wireName());
        }
        JobParams p = request.params();
        String base = p.text(Param.BASE_MODEL).orElseThrow();
        String model = p.text(Param.LORA_MODEL).map(lora -> lora + ModelCatalog.OVER + base).orElse(base);
        List<Query> queries = QueryData.load(store.resolveExisting(p.text(Param.DATA_FILE).orElseThrow()));
        String system = p.text(Param.SYSTEM_PROMPT).orElse(null);
        String template = p.text(Param.TEMPLATE_NAME).orElse(null);
        Sampling sampling = sampling(p);
        int window = (int) p.integer(Param.EVAL_BATCH_SIZE).orElse(Math.min(8, config.maxBatchSize()));

        String[] answers = new String[queries.size()];
        BlockingQueue<Answer> finished = new LinkedBlockingQueue<>();
        List<String> inFlight = new ArrayList<>();
        long tokens = 0;
        long t0 = System.nanoTime();
        int next = 0;
        int done = 0;
        try {
            while (done < queries.size()) {
                cancellation.throwIfCancelled();
                while (inFlight.size() < window && next < queries.size()) {
                    String id = request.jobId() + "-q" + next;
                    GenerationTask task = new GenerationTask(id, model, messages(queries.get(next), system), null,
                            template, sampling, 1, null, new QueryOutput(next, finished));
                    ModelServer.Offer offer = serving.pool().submit(task);
                    if (offer != ModelServer.Offer.ACCEPTED) {
                        break; // the model's queue is full of live requests: try again shortly
                    }
                    inFlight.add(id);
                    next++;
                }
                Answer answer = finished.poll(RETRY_FULL_MILLIS, TimeUnit.MILLISECONDS);
                if (answer == null) {
                    continue;
                }
                inFlight.remove(request.jobId() + "-q" + answer.query());
                if (answer.error() != null) {
                    throw new IllegalArgumentException("query " + (answer.query() + 1) + " of " + queries.size()
                            + ": " + answer.error().message());
                }
                answers[answer.query()] = answer.text();
                tokens += answer.tokens();
                done++;
                double seconds = (System.nanoTime() - t0) / 1e9;
                progress.report(done, queries.size(), Map.of("tokens_per_second", tokens / Math.max(seconds, 1e-9)));
            }
        } catch (ModelNotFoundException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        } finally {
            inFlight.forEach(id -> serving.pool().cancel(id));
        }

        Path staged = store.newStagingDir(request.jobId()).resolve("predictions.jsonl");
        QueryData.writeAnswers(staged, queries, List.of(answers));
        String published = store.publish(staged, p.text(Param.OUTPUT_FILE)
                .orElse(ArtifactStore.defaultPredictionsFile(request.jobId())));
        double seconds = (System.nanoTime() - t0) / 1e9;
        return new JobResult(List.of(published), Map.of("tokens_per_second", tokens / Math.max(seconds, 1e-9)));
    }

    private static List<ChatMessage> messages(Query query, String system) {
        return query.withSystem(system).stream().map(m -> new ChatMessage(m.role(), m.content())).toList();
    }

    /** The job's sampling parameters under the request fields' names; absent ones keep the model's defaults. */
    private static Sampling sampling(JobParams p) {
        Long maxTokens = integer(p, Param.MAX_NEW_TOKENS);
        Long topK = integer(p, Param.TOP_K);
        return new Sampling(maxTokens == null ? null : maxTokens.intValue(), number(p, Param.TEMPERATURE),
                number(p, Param.TOP_P), topK == null ? null : topK.intValue(), number(p, Param.REPETITION_PENALTY),
                null, null, integer(p, Param.SEED), p.text(Param.STOP_STR).map(List::of).orElse(List.of()), List.of());
    }

    private static Long integer(JobParams p, Param param) {
        OptionalLong value = p.integer(param);
        return value.isPresent() ? value.getAsLong() : null;
    }

    private static Double number(JobParams p, Param param) {
        OptionalDouble value = p.number(param);
        return value.isPresent() ? value.getAsDouble() : null;
    }

    /** Hands each query's end to the job's thread. */
    private record QueryOutput(int query, BlockingQueue<Answer> finished) implements Output {
        @Override
        public void text(int index, String delta) {
            // the whole text comes with the end
        }

        @Override
        public void end(int index, FinishReason reason, String text, int promptTokens, int completionTokens) {
            finished.add(new Answer(query, text, completionTokens, null));
        }

        @Override
        public void failed(InferenceError error) {
            finished.add(new Answer(query, null, 0, error));
        }
    }
}
