package org.mmgpt.deploy;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.mmgpt.protocol.topics.Topics;

/**
 * What a service reads from its configuration, from its own application.properties: the keys (any
 * profile), the environment variables its values name ({@code ${MMGPT_PORT:8080}}), and the
 * environment variable that sets each key in SmallRye Config's naming
 * ({@code kafka.bootstrap.servers} ← {@code KAFKA_BOOTSTRAP_SERVERS}).
 */
final class ServiceConfig {

    private static final Pattern REFERENCE = Pattern.compile("\\$\\{([A-Za-z0-9_]+)(?::([^}]*))?}");

    final String module;
    /** key → value, profile prefixes removed (the last one written wins). */
    final Map<String, String> values = new LinkedHashMap<>();
    /** environment variables named in values, with their defaults. */
    final Map<String, String> referenced = new LinkedHashMap<>();

    private ServiceConfig(String module, Properties p) {
        this.module = module;
        for (String key : p.stringPropertyNames()) {
            String bare = key.startsWith("%") ? key.substring(key.indexOf('.') + 1) : key;
            String value = p.getProperty(key);
            if (!key.startsWith("%") || !values.containsKey(bare)) {
                values.put(bare, value);
            }
            Matcher m = REFERENCE.matcher(value);
            while (m.find()) {
                if (m.group(1).equals(m.group(1).toUpperCase(Locale.ROOT))) {
                    referenced.put(m.group(1), m.group(2));
                }
            }
        }
    }

    static ServiceConfig of(String module) {
        Path file = Manifests.REPO.resolve(module).resolve("src/main/resources/application.properties");
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file)) {
            p.load(r);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new ServiceConfig(module, p);
    }

    /** SmallRye Config's environment name of a key: upper case, every other character an underscore. */
    static String envName(String key) {
        return key.replaceAll("[^A-Za-z0-9]", "_").toUpperCase(Locale.ROOT);
    }

    /** Whether the service reads this environment variable: named in a value, or the name of one of its keys. */
    boolean reads(String env) {
        return referenced.containsKey(env) || values.keySet().stream().anyMatch(k -> envName(k).equals(env));
    }

    Optional<String> value(String key) {
        return Optional.ofNullable(values.get(key));
    }

    String required(String key) {
        return value(key).orElseThrow(() -> new AssertionError(module + " has no " + key + " in application.properties"));
    }

    /** The port it listens on given these environment variables: quarkus.http.port with its references resolved. */
    int httpPort(Map<String, String> env) {
        return Integer.parseInt(resolve(required("quarkus.http.port"), env));
    }

    /** The environment variable quarkus.http.port names ({@code ${MMGPT_TRAINER_PORT:8081}}). */
    String portVariable() {
        Matcher m = REFERENCE.matcher(required("quarkus.http.port"));
        if (!m.find()) {
            throw new AssertionError(module + ": quarkus.http.port names no environment variable");
        }
        return m.group(1);
    }

    static String resolve(String value, Map<String, String> env) {
        Matcher m = REFERENCE.matcher(value);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String v = env.containsKey(m.group(1)) ? env.get(m.group(1)) : m.group(2);
            m.appendReplacement(out, Matcher.quoteReplacement(v == null ? "" : v));
        }
        m.appendTail(out);
        return out.toString();
    }

    /**
     * The (topic, consumer group) pairs the service consumes with a group of its own: the job
     * plumbing's mmgpt.worker.requests-topic and group-id, the serving consumer's
     * mmgpt.inference.group-id (it reads Topics.INFERENCE_REQUESTS, named in code), and each incoming
     * SmallRye channel's topic and group.id (a group with ${quarkus.uuid} is per start, nothing to
     * scale on).
     */
    Set<String> consumedGroups() {
        Set<String> pairs = new LinkedHashSet<>();
        value("mmgpt.worker.requests-topic").ifPresent(t -> pairs.add(t + " " + required("mmgpt.worker.group-id")));
        value("mmgpt.inference.group-id").ifPresent(g -> pairs.add(Topics.INFERENCE_REQUESTS + " " + g));
        Pattern channel = Pattern.compile("mp\\.messaging\\.incoming\\.([^.]+)\\.topic");
        for (String key : values.keySet()) {
            Matcher m = channel.matcher(key);
            if (m.matches()) {
                String group = values.get("mp.messaging.incoming." + m.group(1) + ".group.id");
                if (group != null && !group.contains("${")) {
                    pairs.add(values.get(key) + " " + group);
                }
            }
        }
        return pairs;
    }
}
