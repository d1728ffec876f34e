package org.mmgpt.protocol.topics;

import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * Creates the topics of {@link Topics#ALL} that do not exist yet, with their cleanup policies and the
 * configured partition counts. Every service runs it at start, so start order does not matter. It
 * never changes an existing topic: it warns when the partition count differs from the config
 * (adding partitions would move job ids to other partitions).
 */
public final class TopicProvisioner {

    private static final System.Logger LOG = System.getLogger(TopicProvisioner.class.getName());

    private TopicProvisioner() {
    }

    /**
     * @param adminConfig Kafka client settings (at least bootstrap.servers)
     * @param partitions  partition counts by {@link TopicSpec#configKey()}; absent ones use the default
     * @return the warnings it logged, one per topic whose partition count differs from the config
     */
    public static List<String> ensure(Map<String, Object> adminConfig, Map<String, Integer> partitions,
            Duration timeout) {
        try (Admin admin = Admin.create(adminConfig)) {
            Set<String> existing = admin.listTopics().names().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            List<NewTopic> missing = new ArrayList<>();
            for (TopicSpec spec : Topics.ALL) {
                if (!existing.contains(spec.name())) {
                    int count = partitions.getOrDefault(spec.configKey(), spec.defaultPartitions());
                    missing.add(new NewTopic(spec.name(), Optional.of(count), Optional.empty()).configs(spec.configs()));
                }
            }
            for (var created : admin.createTopics(missing).values().entrySet()) {
                try {
                    created.getValue().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                    LOG.log(Level.INFO, "created topic {0}", created.getKey());
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw e;
                    }
                }
            }
            return partitionWarnings(admin, partitions, timeout);
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot create the Kafka topics: " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("cannot reach Kafka at " + adminConfig.get("bootstrap.servers")
                    + " within " + timeout.toSeconds() + " s to create the topics", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating the Kafka topics", e);
        }
    }

    private static List<String> partitionWarnings(Admin admin, Map<String, Integer> partitions, Duration timeout)
            throws ExecutionException, InterruptedException, TimeoutException {
        Map<String, TopicDescription> described = admin.describeTopics(Topics.ALL.stream().map(TopicSpec::name).toList())
                .allTopicNames().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        List<String> warnings = new ArrayList<>();
        for (TopicSpec spec : Topics.ALL) {
            Integer wanted = partitions.get(spec.configKey());
            int actual = described.get(spec.name()).partitions().size();
            if (wanted != null && wanted != actual) {
                String warning = "topic " + spec.name() + " has " + actual + " partitions but mmgpt.topics."
                        + spec.configKey() + ".partitions asks for " + wanted + "; it is left as it is";
                LOG.log(Level.WARNING, warning);
                warnings.add(warning);
            }
        }
        return warnings;
    }
}
