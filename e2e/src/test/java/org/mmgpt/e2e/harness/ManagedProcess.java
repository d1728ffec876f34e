package org.mmgpt.e2e.harness;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * One operating-system process that a test starts, stops and kills by its PID: a broker or a packaged
 * service. Its output goes to a log file that restarts append to, each start marked in it.
 *
 * <p>{@link #stop} is SIGTERM, a grace period, then SIGKILL; {@link #kill} is SIGKILL at once (what a
 * crash or an OOM-killer looks like); {@link #freeze} and {@link #thaw} are SIGSTOP and SIGCONT. Every process still alive when the test JVM exits is killed by a
 * shutdown hook, so a failed or interrupted run leaves nothing behind.
 */
public final class ManagedProcess {

    private static final Set<ManagedProcess> LIVE = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> LIVE.forEach(p -> {
            Process process = p.process;
            if (process != null) {
                process.destroyForcibly();
            }
        }), "kill-managed-processes"));
    }

    private final String name;
    private final List<String> command;
    private final Map<String, String> environment;
    private final Path workDir;
    private final Path log;
    private volatile Process process;
    private int starts;

    public ManagedProcess(String name, List<String> command, Map<String, String> environment, Path workDir, Path log) {
        this.name = name;
        this.command = List.copyOf(command);
        this.environment = Map.copyOf(environment);
        this.workDir = workDir;
        this.log = log;
    }

    public String name() {
        return name;
    }

    public Path log() {
        return log;
    }

    /** Starts the process; it must not be running. Returns the log's size before this start's output. */
    public synchronized long start() {
        if (isAlive()) {
            throw new IllegalStateException(name + " is already running (pid " + pid() + ")");
        }
        try {
            Files.createDirectories(log.getParent());
            starts++;
            Files.writeString(log, "==== " + name + ": start " + starts + " at " + Instant.now() + " ====\n",
                    StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
            long offset = Files.size(log);
            ProcessBuilder builder = new ProcessBuilder(command)
                    .directory(workDir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            builder.environment().putAll(environment);
            process = builder.start();
            LIVE.add(this);
            return offset;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + name + ": " + command, e);
        }
    }

    public boolean isAlive() {
        Process p = process;
        return p != null && p.isAlive();
    }

    /** The PID of the running (or last) process. */
    public long pid() {
        Process p = process;
        if (p == null) {
            throw new IllegalStateException(name + " was never started");
        }
        return p.pid();
    }

    /** SIGTERM, up to {@code grace} to exit, then SIGKILL. Returns the exit code. */
    public synchronized int stop(Duration grace) {
        Process p = process;
        if (p == null) {
            return -1;
        }
        p.destroy();
        try {
            if (!p.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                p.waitFor();
            }
            LIVE.remove(this);
            return p.exitValue();
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while stopping " + name, e);
        }
    }

    /** SIGKILL, and waits until the process is gone. Returns the exit code (137). */
    public synchronized int kill() {
        Process p = process;
        if (p == null) {
            return -1;
        }
        p.destroyForcibly();
        try {
            int code = p.waitFor();
            LIVE.remove(this);
            return code;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while killing " + name, e);
        }
    }

    /**
     * SIGSTOP: the process stands still where it is, mid-write if it was writing (a test freezes a
     * worker inside a checkpoint save, then kills it there). {@link #thaw} lets it go on.
     */
    public void freeze() {
        signal("STOP");
    }

    /** SIGCONT, after {@link #freeze}. */
    public void thaw() {
        signal("CONT");
    }

    private void signal(String name) {
        long pid = pid();
        try {
            Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(pid)).redirectErrorStream(true).start();
            String output = new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (kill.waitFor() != 0) {
                throw new IllegalStateException("kill -" + name + " " + pid + " (" + this.name + ") failed: " + output);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot signal " + this.name, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while signalling " + this.name, e);
        }
    }

    /** The log's text from {@code offset} on (the output of one start). */
    public String logSince(long offset) {
        try {
            byte[] bytes = Files.readAllBytes(log);
            int from = (int) Math.min(offset, bytes.length);
            return new String(bytes, from, bytes.length - from, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(cannot read " + log + ": " + e.getMessage() + ")";
        }
    }

    /** The last lines of the log, for failure messages. */
    public String logTail(int lines) {
        try {
            List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", new ArrayList<>(all.subList(Math.max(0, all.size() - lines), all.size())));
        } catch (IOException e) {
            return "(cannot read " + log + ": " + e.getMessage() + ")";
        }
    }

    @Override
    public String toString() {
        Process p = process;
        return name + (p == null ? " (not started)" : " (pid " + p.pid() + (p.isAlive() ? ", alive)" : ", exited)"));
    }
}
