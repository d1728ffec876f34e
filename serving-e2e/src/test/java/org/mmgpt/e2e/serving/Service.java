package org.mmgpt.e2e.serving;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.mmgpt.testsupport.PackagedService;
import org.mmgpt.testsupport.RepoRoot;

/** How this module runs a packaged service: configured by system properties, on a free port, one thread. */
final class Service {

    private Service() {
    }

    /**
     * @param module     gateway or inference-worker
     * @param properties -D system properties (Kafka address, storage root, settings)
     */
    static PackagedService start(String name, String module, Map<String, String> properties, Path logs) throws IOException {
        int port = PackagedService.freePort();
        List<String> options = new ArrayList<>(List.of("-Xmx1g", "-Dai.djl.pytorch.num_threads=1",
                "-Dai.djl.pytorch.num_interop_threads=1", "-Dquarkus.http.port=" + port));
        properties.forEach((k, v) -> options.add("-D" + k + "=" + v));
        return PackagedService.start(RepoRoot.path(), module, name, port, options, Map.of(), logs.resolve(name + ".log"));
    }
}
