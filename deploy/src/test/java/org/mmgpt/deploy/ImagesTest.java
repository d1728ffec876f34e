package org.mmgpt.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The images the manifests run are the ones deploy/ builds: one per service module from its packaged
 * application, the CUDA variant for the workers the gpu overlay puts on GPUs, with the user, port
 * and PyTorch version the manifests and the build expect.
 */
class ImagesTest {

    /** A Dockerfile read the simple way: its instructions, continuation lines joined. */
    record Dockerfile(List<String[]> instructions) {
        static Dockerfile read(Path file) throws IOException {
            List<String[]> out = new ArrayList<>();
            StringBuilder line = new StringBuilder();
            for (String raw : Files.readAllLines(file)) {
                String s = raw.strip();
                if (s.startsWith("#") || s.isEmpty() && line.isEmpty()) {
                    continue;
                }
                if (s.endsWith("\\")) {
                    line.append(s, 0, s.length() - 1).append(' ');
                    continue;
                }
                line.append(s);
                String full = line.toString().strip();
                line.setLength(0);
                int space = full.indexOf(' ');
                out.add(new String[] {full.substring(0, space), full.substring(space + 1).strip()});
            }
            return new Dockerfile(out);
        }

        List<String> all(String instruction) {
            return instructions.stream().filter(i -> i[0].equals(instruction)).map(i -> i[1]).toList();
        }

        String one(String instruction) {
            List<String> all = all(instruction);
            assertEquals(1, all.size(), instruction);
            return all.get(0);
        }

        Map<String, String> env() {
            Map<String, String> env = new LinkedHashMap<>();
            Pattern pair = Pattern.compile("([A-Z_][A-Z0-9_]*)=(\\S+)");
            for (String e : all("ENV")) {
                Matcher m = pair.matcher(e);
                while (m.find()) {
                    env.put(m.group(1), m.group(2));
                }
            }
            return env;
        }

        List<String> entrypoint() throws IOException {
            return List.of(new ObjectMapper().readValue(one("ENTRYPOINT"), String[].class));
        }
    }

    static Dockerfile dockerfile(String name) throws IOException {
        return Dockerfile.read(Manifests.DEPLOY.resolve("images").resolve(name));
    }

    @Test
    void everyImageIsBuiltFromItsServiceModule() throws IOException {
        Set<String> jvm = new TreeSet<>();
        Set<String> cuda = new TreeSet<>();
        for (String k : List.of("overlays/dev", "overlays/gpu")) {
            for (Deployment d : Manifests.of(k).all(Deployment.class)) {
                String name = d.getMetadata().getName();
                String image = Kustomize.splitImage(Manifests.container(d).getImage())[0];
                assertTrue(image.equals("mmgpt/" + name) || image.equals("mmgpt/" + name + "-cuda"), name + " runs " + image);
                (image.endsWith("-cuda") ? cuda : jvm).add(name);
                Path module = Manifests.REPO.resolve(name);
                assertTrue(Files.readString(module.resolve("pom.xml")).contains("<artifactId>quarkus-maven-plugin</artifactId>"),
                        name + " is a Quarkus service module");
            }
        }
        String script = Files.readString(Manifests.DEPLOY.resolve("build-images.sh"));
        assertEquals(jvm, words(script, "services"), "build-images.sh builds every service");
        assertEquals(cuda, words(script, "cuda_services"), "and the CUDA variants the gpu overlay runs");
    }

    private static Set<String> words(String script, String array) {
        Matcher m = Pattern.compile("(?m)^" + array + "=\\(([^)]*)\\)").matcher(script);
        assertTrue(m.find(), array);
        return new TreeSet<>(List.of(m.group(1).trim().split("\\s+")));
    }

    @Test
    void theImagesRunThePackagedApplicationAsTheManifestsExpect() throws IOException {
        Manifests dev = Manifests.of("overlays/dev");
        for (String file : List.of("Dockerfile.jvm", "Dockerfile.cuda")) {
            Dockerfile df = dockerfile(file);
            String workdir = df.one("WORKDIR");
            for (String copy : df.all("COPY")) {
                assertTrue(copy.matches("--chown=185:0 \\$\\{SERVICE}/target/quarkus-app/\\S+ " + Pattern.quote(workdir) + "/\\S*"),
                        file + ": " + copy);
            }
            assertTrue(df.all("COPY").stream().anyMatch(c -> c.contains("quarkus-app/*.jar")), file + " copies quarkus-run.jar");
            List<String> entry = df.entrypoint();
            assertEquals(workdir + "/quarkus-run.jar", entry.get(entry.size() - 1), file);
            assertTrue(entry.contains("-Dai.djl.offline=true"), file + ": DJL never reaches the network");
            assertEquals("185", df.one("USER"), file);
            for (Deployment d : dev.all(Deployment.class)) {
                assertEquals(185L, d.getSpec().getTemplate().getSpec().getSecurityContext().getRunAsUser(), d.getMetadata().getName());
            }
            assertEquals("PASSIVE", df.env().get("OMP_WAIT_POLICY"), file);
        }
        Set<String> exposed = new TreeSet<>(List.of(dockerfile("Dockerfile.jvm").one("EXPOSE").split("\\s+")));
        for (Deployment d : dev.all(Deployment.class)) {
            assertTrue(exposed.contains(String.valueOf(Manifests.container(d).getPorts().get(0).getContainerPort())), d.getMetadata().getName());
        }
    }

    @Test
    void theCudaImageGivesDjlTheLibtorchOfTheProjectsPyTorchVersion() throws IOException {
        Dockerfile cuda = dockerfile("Dockerfile.cuda");
        Map<String, String> env = cuda.env();
        String pom = Files.readString(Manifests.REPO.resolve("pom.xml"));
        Matcher version = Pattern.compile("<pytorch.native.version>([^<]+)</pytorch.native.version>").matcher(pom);
        assertTrue(version.find());
        assertEquals(version.group(1), env.get("PYTORCH_VERSION"), "the PyTorch version DJL is built for");
        assertEquals("cu128", env.get("PYTORCH_FLAVOR"), "a CUDA build DJL's pytorch-jni has a JNI library for");
        String url = cuda.all("ARG").stream().filter(a -> a.startsWith("LIBTORCH_URL=")).findFirst().orElseThrow();
        assertTrue(url.contains(version.group(1) + "%2B" + env.get("PYTORCH_FLAVOR")), url);
        assertTrue(cuda.one("RUN").contains("unzip -q /tmp/libtorch.zip -d /opt"), "libtorch unpacked where PYTORCH_LIBRARY_PATH points");
        assertEquals("/opt/libtorch/lib", env.get("PYTORCH_LIBRARY_PATH"));
        assertTrue(cuda.one("FROM").startsWith("nvidia/cuda:12.8"), "CUDA 12.8 for cu128");
    }

    /**
     * DJL loads the CUDA libtorch through its JNI library for that flavour, which comes from the
     * pytorch-jni jar in the packaged worker (offline, nothing is downloaded): that jar must be built
     * for the image's PyTorch version and hold a linux-x86_64 library of the image's flavour. Checked
     * on the packaged workers that run PyTorch (`mvn verify` packages them before this module).
     */
    @Test
    void theWorkersPackagedForTheCudaImageCarryDjlsJniLibraryForItsFlavour() throws IOException {
        Map<String, String> env = dockerfile("Dockerfile.cuda").env();
        String entry = "jnilib/linux-x86_64/" + env.get("PYTORCH_FLAVOR") + "/libdjl_torch.so";
        List<String> checked = new ArrayList<>();
        for (String service : List.of("trainer-worker", "inference-worker")) {
            Path lib = Manifests.REPO.resolve(service).resolve("target/quarkus-app/lib/main");
            if (!Files.isDirectory(lib)) {
                continue;
            }
            List<Path> jars;
            try (var files = Files.list(lib)) {
                jars = files.filter(f -> f.getFileName().toString().startsWith("ai.djl.pytorch.")).toList();
            }
            if (jars.isEmpty()) {
                continue; // this service runs no PyTorch (yet)
            }
            Path jni = jars.stream().filter(f -> f.getFileName().toString().startsWith("ai.djl.pytorch.pytorch-jni-"))
                    .findFirst().orElseThrow(() -> new AssertionError(service + " has DJL's PyTorch engine but no pytorch-jni"));
            assertTrue(jni.getFileName().toString().startsWith("ai.djl.pytorch.pytorch-jni-" + env.get("PYTORCH_VERSION") + "-"),
                    jni + " is not built for PyTorch " + env.get("PYTORCH_VERSION"));
            try (var zip = new java.util.zip.ZipFile(jni.toFile())) {
                assertTrue(zip.getEntry(entry) != null, jni.getFileName() + " has no " + entry);
            }
            checked.add(service);
        }
        Assumptions.assumeFalse(checked.isEmpty(), "no packaged worker (run mvn verify, or package trainer-worker first)");
    }
}
