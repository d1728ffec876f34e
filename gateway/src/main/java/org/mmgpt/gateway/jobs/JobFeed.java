package org.mmgpt.gateway.jobs;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.mmgpt.gateway.kafka.CatchUp;
import org.mmgpt.protocol.jobs.JobCommand;
import org.mmgpt.protocol.jobs.JobEvent;
import org.mmgpt.protocol.jobs.JobStatus;

/** Feeds the job table and the pipeline runner from the status, event and control topics. */
@ApplicationScoped
public class JobFeed {

    @Inject
    JobTable table;
    @Inject
    PipelineRunner pipelines;
    @Inject
    CatchUp catchUp;

    @Incoming("job-status")
    public void status(ConsumerRecord<String, JobStatus> record) {
        if (record.value() != null && table.offer(record.value())) {
            pipelines.changed(record.value());
        }
        catchUp.processed(record);
    }

    @Incoming("job-events")
    public void event(ConsumerRecord<String, JobEvent> record) {
        if (record.value() != null) {
            table.offer(record.value());
        }
        catchUp.processed(record);
    }

    @Incoming("job-control")
    public void command(ConsumerRecord<String, JobCommand> record) {
        if (record.value() != null) {
            pipelines.commanded(record.value());
        }
        catchUp.processed(record);
    }
}
