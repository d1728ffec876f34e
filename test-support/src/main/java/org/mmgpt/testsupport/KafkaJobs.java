package org.mmgpt.testsupport;

import io.smallrye.reactive.messaging.kafka.companion.ConsumerTask;
import io.smallrye.reactive.messaging.kafka.companion.KafkaCompanion;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.mmgpt.protocol.jobs.JobCommand;
import org.mmgpt.protocol.jobs.JobEvent;
import org.mmgpt.protocol.jobs.JobRequest;
import org.mmgpt.protocol.jobs.JobState;
import org.mmgpt.protocol.jobs.JobStatus;
import org.mmgpt.protocol.jobs.JobType;
import org.mmgpt.protocol.json.Json;
import org.mmgpt.protocol.topics.TopicProvisioner;
import org.mmgpt.protocol.topics.Topics;

/**
 * A test's hands on the job topics, through {@link KafkaCompanion}: it publishes what a gateway or a
 * worker would (requests, status events, cancel orders), and keeps everything published on the job
 * topics since it was created, to be looked up by job id.
 */
public final class KafkaJobs implements AutoCloseable {

    private final KafkaCompanion companion;
    private final ConsumerTask<String, String> events;
    private final ConsumerTask<String, String> statuses;
    private final ConsumerTask<String, String> requests;
    private final ConsumerTask<String, String> commands;

    public KafkaJobs(String bootstrapServers) {
        TopicProvisioner.ensure(Map.of("bootstrap.servers", bootstrapServers), Map.of(), Duration.ofSeconds(30));
        companion = new KafkaCompanion(bootstrapServers);
        events = companion.consumeStrings().fromTopics(Topics.JOB_EVENTS);
        statuses = companion.consumeStrings().fromTopics(Topics.JOB_STATUS);
        requests = companion.consumeStrings().fromTopics(Topics.STAGE_REQUESTS, Topics.MERGE_REQUESTS,
                Topics.BATCH_INFERENCE_REQUESTS);
        commands = companion.consumeStrings().fromTopics(Topics.JOB_CONTROL);
    }

    public KafkaCompanion companion() {
        return companion;
    }

    /** What the gateway does on submission: the QUEUED snapshot and event, then the request. */
    public RecordMetadata submit(JobRequest request) {
        JobStatus queued = JobStatus.queued(request, List.of());
        publish(queued.queuedEvent(), queued);
        return send(Topics.requestTopicFor(request.type()), request.jobId(), request);
    }

    /** What a job's writer does: the event, then the snapshot it leads to. */
    public void publish(JobEvent event, JobStatus status) {
        send(Topics.JOB_EVENTS, event.jobId(), event);
        send(Topics.JOB_STATUS, status.id(), status);
    }

    /**
     * What a worker does to a job it runs: the next event after {@code current} in the given state,
     * with whatever {@code details} add (progress, metrics, artifacts, error), and the new snapshot.
     *
     * @return the new snapshot, the base for the next call
     */
    public JobStatus act(JobStatus current, JobState state, UnaryOperator<JobEvent> details) {
        JobEvent event = details.apply(current.next(state, Instant.now(), "test-worker"));
        JobStatus next = current.apply(event);
        publish(event, next);
        return next;
    }

    public void cancel(String jobId, JobType type) {
        send(Topics.JOB_CONTROL, jobId, JobCommand.cancel(jobId, type, Instant.now()));
    }

    public RecordMetadata send(String topic, String key, Object value) {
        return companion.produceStrings()
                .fromRecords(new ProducerRecord<>(topic, key, new String(Json.write(value), StandardCharsets.UTF_8)))
                .awaitCompletion(Duration.ofSeconds(30))
                .getFirstRecord();
    }

    /** The job's events in the order they were published. */
    public List<JobEvent> events(String jobId) {
        return values(events, jobId, JobEvent.class);
    }

    /** The job's snapshot with the highest seq. */
    public Optional<JobStatus> status(String jobId) {
        return values(statuses, jobId, JobStatus.class).stream().max(Comparator.comparingLong(JobStatus::seq));
    }

    /** Stage, merge and batch-inference requests published for the job. */
    public List<JobRequest> requests(String jobId) {
        return values(requests, jobId, JobRequest.class);
    }

    /** The topics the job's requests went to, one entry per request. */
    public List<String> requestTopics(String jobId) {
        return requests.getRecords().stream().filter(r -> jobId.equals(r.key())).map(ConsumerRecord::topic).toList();
    }

    public List<JobCommand> commands(String jobId) {
        return values(commands, jobId, JobCommand.class);
    }

    /** The committed offset of a consumer group on a partition, or -1 if none. */
    public long committed(String groupId, TopicPartition partition) {
        OffsetAndMetadata offset = companion.consumerGroups().offsets(groupId, partition);
        return offset == null ? -1 : offset.offset();
    }

    private static <T> List<T> values(ConsumerTask<String, String> task, String key, Class<T> type) {
        return task.getRecords().stream()
                .filter(r -> key.equals(r.key()) && r.value() != null)
                .map(ConsumerRecord::value)
                .map(v -> Json.read(v.getBytes(StandardCharsets.UTF_8), type))
                .toList();
    }

    @Override
    public void close() {
        events.stop();
        statuses.stop();
        requests.stop();
        commands.stop();
        companion.close();
    }
}
