package org.mmgpt.gateway.jobs;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response.Status;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;
import java.net.URI;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.jboss.resteasy.reactive.RestHeader;
import org.jboss.resteasy.reactive.RestResponse;
import org.jboss.resteasy.reactive.RestStreamElementType;
import org.mmgpt.gateway.http.ApiException;
import org.mmgpt.protocol.jobs.JobEvent;
import org.mmgpt.protocol.jobs.JobState;
import org.mmgpt.protocol.jobs.JobStatus;
import org.mmgpt.protocol.jobs.JobType;
import org.mmgpt.protocol.params.InvalidJobException;

/** /v1/jobs: HTTP in, {@link JobService} and {@link JobTable} behind. */
@Path("/v1/jobs")
@Produces(MediaType.APPLICATION_JSON)
public class JobsResource {

    private static final int MAX_LIMIT = 500;

    @Inject
    JobService jobs;
    @Inject
    JobTable table;

    /** {"type": "pt|sft|dpo|merge|pipeline", "params": {...}} → 201 with the QUEUED job. */
    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    public Uni<RestResponse<JobStatus>> submit(Map<String, Object> body) throws InvalidJobException {
        return jobs.submit(body).map(job -> RestResponse.ResponseBuilder
                .<JobStatus>created(URI.create("/v1/jobs/" + job.id())).entity(job).build());
    }

    @GET
    public JobPage list(@QueryParam("state") List<String> states, @QueryParam("type") List<String> types,
            @QueryParam("offset") @DefaultValue("0") String offset, @QueryParam("limit") @DefaultValue("50") String limit) {
        jobs.requireReady();
        return table.list(parseStates(states), parseTypes(types), number("offset", offset, 0, Integer.MAX_VALUE),
                number("limit", limit, 1, MAX_LIMIT));
    }

    @GET
    @Path("/{id}")
    public JobStatus get(@PathParam("id") String id) {
        return jobs.get(id);
    }

    /** 202: the order is on its way; the job ends CANCELLED when its worker (or the runner) stops it. */
    @POST
    @Path("/{id}/cancel")
    public Uni<RestResponse<JobStatus>> cancel(@PathParam("id") String id) {
        return jobs.cancel(id).map(job -> RestResponse.status(Status.ACCEPTED, job));
    }

    /**
     * Server-sent events: the job's history, then its events as they happen, until it ends. Each
     * event's id is its seq; a client reconnecting with Last-Event-ID gets what came after it.
     */
    @GET
    @Path("/{id}/events")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @RestStreamElementType(MediaType.APPLICATION_JSON)
    public Multi<OutboundSseEvent> events(@PathParam("id") String id, @RestHeader("Last-Event-ID") String lastEventId,
            @Context Sse sse) {
        jobs.get(id);
        long after = lastEventId == null || lastEventId.isBlank() ? 0 : number("Last-Event-ID", lastEventId, 0, Long.MAX_VALUE);
        return table.follow(id, after).map(event -> sse.newEventBuilder()
                .id(Long.toString(event.seq()))
                .data(JobEvent.class, event)
                .build());
    }

    private static Set<JobState> parseStates(List<String> values) {
        Set<JobState> states = EnumSet.noneOf(JobState.class);
        for (String value : values) {
            try {
                states.add(JobState.valueOf(value.toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw ApiException.badField("state", "must be one of " + EnumSet.allOf(JobState.class) + ", got \"" + value + "\"");
            }
        }
        return states;
    }

    private static Set<JobType> parseTypes(List<String> values) {
        Set<JobType> types = EnumSet.noneOf(JobType.class);
        for (String value : values) {
            types.add(JobType.fromWire(value).orElseThrow(() -> ApiException.badField("type",
                    "must be one of " + JobType.wireNames() + ", got \"" + value + "\"")));
        }
        return types;
    }

    private static int number(String field, String value, int min, int max) {
        return (int) number(field, value, min, (long) max);
    }

    private static long number(String field, String value, long min, long max) {
        try {
            long number = Long.parseLong(value.strip());
            if (number >= min && number <= max) {
                return number;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw ApiException.badField(field, "must be an integer from " + min + " to " + max + ", got \"" + value + "\"");
    }
}
