package org.mmgpt.engine.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mmgpt.engine.FileTrees;
import org.mmgpt.engine.data.DataDirs;
import org.mmgpt.engine.data.DataException;
import org.mmgpt.engine.model.CausalLM;
import org.mmgpt.engine.model.SafeTensors;

/** Whole training runs on a tiny model with the real tokenizer and real data files. */
class TrainerTest {
    @TempDir
    static Path tmp;
    static Path base;

    @BeforeAll
    static void model() throws IOException {
        base = TinyModels.write(tmp.resolve("base"), 1);
    }

    private static Map<String, Object> args(String stage, Path train, Path out) {
        Map<String, Object> a = new HashMap<>();
        a.put("model_name_or_path", base.toString());
        a.put("train_file_dir", train.toString());
        a.put("output_dir", out.toString());
        a.put("per_device_train_batch_size", 2);
        a.put("learning_rate", 5e-3);
        a.put("logging_steps", 1);
        a.put("eval_steps", 1000);
        a.put("save_steps", 1000);
        a.put("validation_split_percentage", 0);
        a.put("lr_scheduler_type", "linear");
        a.put("warmup_steps", 0);
        a.put("seed", 7);
        switch (stage) {
            case "pt" -> a.put("block_size", 32);
            case "sft" -> a.put("model_max_length", 64);
            default -> {
                a.put("max_source_length", 48);
                a.put("max_target_length", 24);
                a.put("gradient_checkpointing", false);
            }
        }
        return a;
    }

    private static Trainer.Result train(String stage, Map<String, Object> a, long stopAfter) throws IOException {
        AtomicLong step = new AtomicLong();
        return Trainer.train(TrainingArguments.from(stage, a), new Trainer.Listener() {
            @Override
            public void onStep(Trainer.Progress p) {
                step.set(p.step());
            }
        }, () -> step.get() >= stopAfter);
    }

    /** Losses by step from metrics.jsonl. */
    private static Map<Long, Double> losses(Path out) {
        Map<Long, Double> m = new HashMap<>();
        for (Map<String, Object> r : MetricsLog.read(out.resolve("metrics.jsonl"))) {
            if (r.get("loss") instanceof Number n) {
                m.put(((Number) r.get("step")).longValue(), n.doubleValue());
            }
        }
        return m;
    }

    private static void assertSameTensors(Path a, Path b, String file) {
        try (NDManager m = NDManager.newBaseManager()) {
            SafeTensors x = SafeTensors.open(a.resolve(file));
            SafeTensors y = SafeTensors.open(b.resolve(file));
            assertEquals(x.names(), y.names());
            for (String n : x.names()) {
                double d = x.load(n, m).sub(y.load(n, m)).abs().max().getFloat();
                assertTrue(d < 1e-6, n + " differs by " + d);
            }
        }
    }

    private void stoppedAndResumedEqualsUninterrupted(String stage, Path data, Map<String, Object> extra) throws IOException {
        Path a = tmp.resolve(stage + "-straight");
        Path b = tmp.resolve(stage + "-resumed");
        Map<String, Object> args = args(stage, data, a);
        args.put("max_steps", 5);
        args.put("save_steps", 2);
        args.put("gradient_accumulation_steps", 2);
        args.put("lora_dropout", 0.1);
        args.putAll(extra);
        Trainer.Result straight = train(stage, args, Long.MAX_VALUE);
        assertEquals(5, straight.globalStep());

        args.put("output_dir", b.toString());
        Trainer.Result stopped = train(stage, args, 3);
        assertTrue(stopped.stopped());
        assertEquals(3, stopped.globalStep());
        assertFalse(Files.exists(b.resolve("train_results.json")), "a stopped run publishes no result");
        assertTrue(Files.isDirectory(b.resolve("checkpoint-3")), "a stopped run checkpoints where it stopped");
        // as if killed while saving checkpoint-3: its staging folder half written, resume from checkpoint-2
        FileTrees.delete(b.resolve("checkpoint-3"));
        Path halfSaved = Files.createDirectories(b.resolve(".checkpoint-3.killed.tmp"));
        Files.write(halfSaved.resolve("optimizer.safetensors"), new byte[100]);
        args.put("resume_from_checkpoint", "latest");
        Trainer.Result resumed = train(stage, args, Long.MAX_VALUE);
        assertEquals(5, resumed.globalStep());
        assertFalse(Files.exists(halfSaved), "the half-written checkpoint of the killed run is cleared");

        Map<Long, Double> la = losses(a);
        Map<Long, Double> lb = losses(b);
        for (long s = 1; s <= 5; s++) {
            assertEquals(la.get(s), lb.get(s), Math.abs(la.get(s)) * 1e-5, stage + " loss at step " + s);
        }
        assertEquals(5, lb.size(), "metrics.jsonl keeps one line per step after the resume: " + lb.keySet());
        assertEquals(straight.trainLoss(), resumed.trainLoss(), Math.abs(straight.trainLoss()) * 1e-5,
                "train_loss averages every step, those before the resume too");
        assertSameTensors(a, b, "adapter_model.safetensors");
    }

    @Test
    void sftStoppedAndResumedEndsExactlyAsUninterrupted() throws IOException {
        stoppedAndResumedEqualsUninterrupted("sft", DataDirs.demo("finetune"), Map.of());
    }

    @Test
    void dpoStoppedAndResumedEndsExactlyAsUninterrupted() throws IOException {
        stoppedAndResumedEqualsUninterrupted("dpo", DataDirs.demo("reward"), Map.of("per_device_train_batch_size", 1));
    }

    @Test
    void sftOnTheReferenceDataLowersTheLoss() throws IOException {
        Path out = tmp.resolve("sft-ref");
        Map<String, Object> a = args("sft", DataDirs.reference("finetune"), out);
        a.put("max_steps", 12);
        a.put("learning_rate", 2e-2);
        a.put("lora_rank", 16);
        a.put("validation_split_percentage", 2);
        a.put("max_eval_samples", 8);
        Trainer.Result r = train("sft", a, Long.MAX_VALUE);
        Map<Long, Double> l = losses(out);
        double first = (l.get(1L) + l.get(2L) + l.get(3L)) / 3;
        double last = (l.get(10L) + l.get(11L) + l.get(12L)) / 3;
        assertTrue(last < first - 0.05, "loss went from " + first + " to " + last);
        assertTrue(r.evalLoss() != null && r.evalLoss() > 0);
        assertTrue(Files.isRegularFile(out.resolve("eval_results.json")));
        try (var runs = Files.list(out.resolve("runs"))) {
            assertTrue(runs.anyMatch(p -> p.getFileName().toString().startsWith("events.out.tfevents.")));
        }
    }

    @Test
    void dpoOnTheReferenceDataLowersTheLossFromLn2() throws IOException {
        Path out = tmp.resolve("dpo-ref");
        Map<String, Object> a = args("dpo", DataDirs.reference("reward"), out);
        a.put("max_steps", 8);
        a.put("max_train_samples", 4); // the same 4 pairs, epoch after epoch: the loss on them must fall
        a.put("learning_rate", 1e-2);
        a.put("per_device_train_batch_size", 2);
        a.put("beta", 0.5);
        train("dpo", a, Long.MAX_VALUE);
        List<Map<String, Object>> log = MetricsLog.read(out.resolve("metrics.jsonl"));
        double first = ((Number) log.get(0).get("loss")).doubleValue();
        assertEquals(Math.log(2), first, 1e-3, "a fresh adapter (B = 0) starts at the reference: loss ln 2");
        double last = log.stream().filter(r -> r.get("loss") != null).mapToDouble(r -> ((Number) r.get("loss")).doubleValue())
                .skip(5).average().orElseThrow();
        assertTrue(last < first - 0.02, "DPO loss went from " + first + " to " + last);
        for (String k : List.of("rewards/chosen", "rewards/rejected", "rewards/accuracies", "rewards/margins",
                "logps/chosen", "logps/rejected")) {
            assertTrue(log.get(0).containsKey(k), "metric " + k);
        }
    }

    @Test
    void gradientCheckpointingComputesTheSameStepsAndFullTuningWritesAModel() throws IOException {
        Path plain = tmp.resolve("pt-plain");
        Path ckpt = tmp.resolve("pt-ckpt");
        Map<String, Object> a = args("pt", DataDirs.demo("pretrain"), plain);
        a.put("max_steps", 3);
        a.put("use_peft", false);
        a.put("learning_rate", 1e-3);
        train("pt", a, Long.MAX_VALUE);
        a.put("output_dir", ckpt.toString());
        a.put("gradient_checkpointing", true);
        train("pt", a, Long.MAX_VALUE);
        Map<Long, Double> x = losses(plain);
        Map<Long, Double> y = losses(ckpt);
        for (long s = 1; s <= 3; s++) {
            assertEquals(x.get(s), y.get(s), x.get(s) * 1e-5, "step " + s);
        }
        assertSameTensors(plain, ckpt, "model.safetensors");
        try (CausalLM m = CausalLM.load(ckpt)) {
            assertEquals(2, m.config().numLayers());
        }
        assertTrue(Files.isRegularFile(ckpt.resolve("tokenizer.json")));
    }

    @Test
    void malformedDataFailsBeforeTrainingNamingFileAndLine() throws IOException {
        Path data = Files.createDirectories(tmp.resolve("bad-sft"));
        Files.writeString(data.resolve("a.jsonl"), """
                {"conversations": [{"from": "human", "value": "hi"}, {"from": "gpt", "value": "hello"}]}
                {"conversations": [{"from": "human", "value": "hi"}
                """);
        Path out = tmp.resolve("bad-out");
        Map<String, Object> a = args("sft", data, out);
        a.put("max_steps", 1);
        DataException e = assertThrows(DataException.class, () -> train("sft", a, Long.MAX_VALUE));
        assertTrue(e.getMessage().contains("a.jsonl:2"), e.getMessage());
        assertFalse(Files.exists(out.resolve("metrics.jsonl")), "nothing trained");
    }

    @Test
    void aRunThatCannotFitInMemoryIsRefusedBeforeTraining() {
        Path out = tmp.resolve("too-big");
        Map<String, Object> a = args("sft", DataDirs.demo("finetune"), out);
        a.put("per_device_train_batch_size", 60000);
        a.put("model_max_length", 4096);
        a.put("max_steps", 1);
        var e = assertThrows(IllegalArgumentException.class, () -> train("sft", a, Long.MAX_VALUE));
        assertTrue(e.getMessage().contains("not enough memory"), e.getMessage());
        assertTrue(e.getMessage().contains("per_device_train_batch_size"), e.getMessage());
        assertFalse(Files.exists(out.resolve("metrics.jsonl")));
    }

    @Test
    void badArgumentsAreAllNamedAtOnce() {
        Map<String, Object> a = args("sft", tmp, tmp.resolve("x"));
        a.put("learning_rate", "fast");
        a.put("lora_rank", 0);
        a.put("no_such_thing", 1);
        a.put("block_size", 64); // a pt option
        var e = assertThrows(IllegalArgumentException.class, () -> TrainingArguments.from("sft", a));
        for (String field : List.of("learning_rate", "lora_rank", "no_such_thing", "block_size")) {
            assertTrue(e.getMessage().contains(field), e.getMessage());
        }
    }
}
