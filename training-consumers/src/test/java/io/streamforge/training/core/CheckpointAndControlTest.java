package io.streamforge.training.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.streamforge.arrowio.read.ReadOptions;
import io.streamforge.schemas.records.ControlCommand;
import io.streamforge.schemas.records.ControlCommand.Action;
import io.streamforge.schemas.records.TrainingJob;
import io.streamforge.schemas.records.TrainingJob.TaskType;
import io.streamforge.testkit.Datasets;
import io.streamforge.training.JobSpecs;
import io.streamforge.training.data.FileBatchFeed;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Checkpoints, resume, control commands and early stopping, on the trainer alone. */
class CheckpointAndControlTest {
  private BufferAllocator allocator;
  private FileBatchFeed feed;

  @BeforeEach
  void setUp() {
    allocator = new RootAllocator();
    feed =
        new FileBatchFeed(
            Datasets.file("wine.csv"), ReadOptions.defaults(), null, "label", allocator, 2);
  }

  @AfterEach
  void tearDown() {
    feed.close();
    assertThat(allocator.getAllocatedMemory()).isZero();
    allocator.close();
  }

  private static TrainingJob job(int epochs, int patience, String schedule) {
    TrainingJob d =
        JobSpecs.defaults(
            "ckpt-" + epochs + "-" + patience, "wine", "wine", 1, "label", TaskType.CLASSIFICATION);
    return new TrainingJob(
        d.jobId(),
        null,
        null,
        d.model(),
        d.dataset(),
        1,
        d.label(),
        List.of(),
        d.task(),
        null,
        d.architecture(),
        new TrainingJob.OptimizerSpec("adam", 0.01, 0, 0, schedule),
        d.batchSize(),
        epochs,
        d.seed(),
        d.validationFraction(),
        patience,
        "cpu",
        Map.of(),
        d.submittedAt());
  }

  /** Issues the given actions once, at the given poll (polls come after each full step). */
  private static TrainingListener commandsAt(long atStep, Double value, Action... actions) {
    AtomicLong polls = new AtomicLong();
    return new TrainingListener() {
      @Override
      public List<ControlCommand> pollControl() {
        if (polls.incrementAndGet() != atStep) {
          return List.of();
        }
        return java.util.Arrays.stream(actions)
            .map(a -> new ControlCommand("job", a, value, "test", "test", Instant.now()))
            .toList();
      }
    };
  }

  @Test
  void aStoppedJobResumesFromItsLastEpochCheckpointAndFinishes() {
    TrainingJob job = job(6, 0, "cosine");
    MemoryCheckpointStore store = new MemoryCheckpointStore();
    // wine: 143 training rows, batch 16 -> 9 steps per epoch; stop during epoch 3
    TrainingResult first =
        new JobTrainer().train(job, feed, commandsAt(22, null, Action.STOP), store);
    assertThat(first.stoppedBy()).isEqualTo("control");
    assertThat(first.history()).hasSize(2);
    assertThat(store.saves(job.jobId())).isEqualTo(2);

    TrainingResult resumed = new JobTrainer().train(job, feed, TrainingListener.NONE, store);
    assertThat(resumed.metrics()).containsEntry("resumed_at_epoch", 3.0);
    assertThat(resumed.history()).extracting(EpochSummary::epoch).containsExactly(1, 2, 3, 4, 5, 6);
    assertThat(resumed.history())
        .extracting(EpochSummary::step)
        .containsExactly(9L, 18L, 27L, 36L, 45L, 54L);
    assertThat(resumed.metrics().get("val_accuracy")).isGreaterThanOrEqualTo(0.9);
    // the resumed network is the one that was trained on: its export matches the engine's outputs
    byte[] onnx =
        io.streamforge.training.onnx.OnnxExporter.export(
            resumed.weights(), resumed.preprocessing(), true, "w", "t", Map.of());
    assertThat(
            io.streamforge.training.onnx.OnnxParity.check(
                    onnx, resumed.preprocessing(), true, resumed.valOutputs())
                .passed())
        .isTrue();

    // the first two epochs are the same as an uninterrupted run's
    TrainingResult straight = new JobTrainer().train(job, feed, TrainingListener.NONE);
    assertThat(resumed.history().subList(0, 2)).isEqualTo(first.history());
    assertThat(JobTrainerTest.withoutTimings(straight.history().get(1).metrics()))
        .isEqualTo(JobTrainerTest.withoutTimings(first.history().get(1).metrics()));
  }

  @Test
  void checkpointNowSavesMidEpochAndResumeContinuesAtThatRow() {
    TrainingJob job = job(2, 0, "cosine");
    MemoryCheckpointStore store = new MemoryCheckpointStore();
    TrainingResult first =
        new JobTrainer()
            .train(job, feed, commandsAt(5, null, Action.CHECKPOINT, Action.STOP), store);
    assertThat(first.history()).isEmpty();
    Checkpoint c = Checkpoint.fromBytes(store.latest(job.jobId()).orElseThrow());
    assertThat(c.nextEpoch()).isEqualTo(1);
    assertThat(c.rowsDone()).isEqualTo(5 * 16);
    assertThat(c.step()).isEqualTo(5);

    TrainingResult resumed = new JobTrainer().train(job, feed, TrainingListener.NONE, store);
    assertThat(resumed.history()).extracting(EpochSummary::step).containsExactly(9L, 18L);
  }

  @Test
  void restoreCheckpointPutsTheSavedParametersBack() {
    TrainingJob job = job(3, 0, "cosine");
    List<byte[]> saves = new java.util.ArrayList<>();
    MemoryCheckpointStore memory = new MemoryCheckpointStore();
    CheckpointStore recording =
        new CheckpointStore() {
          @Override
          public void save(String jobId, byte[] checkpoint) {
            saves.add(checkpoint);
            memory.save(jobId, checkpoint);
          }

          @Override
          public java.util.Optional<byte[]> latest(String jobId) {
            return memory.latest(jobId);
          }
        };
    // epoch checkpoints after steps 9 and 18; control is polled after each full step (8 of the 9
    // steps of an epoch), so the 19th poll comes after step 21: restore, checkpoint, stop
    new JobTrainer()
        .train(
            job,
            feed,
            commandsAt(19, null, Action.RESTORE_CHECKPOINT, Action.CHECKPOINT, Action.STOP),
            recording);
    assertThat(saves).hasSize(3);
    Checkpoint epoch2 = Checkpoint.fromBytes(saves.get(1));
    Checkpoint afterRestore = Checkpoint.fromBytes(saves.get(2));
    assertThat(epoch2.step()).isEqualTo(18);
    assertThat(afterRestore.step()).isEqualTo(21);
    assertThat(afterRestore.params()).isEqualTo(epoch2.params());
    assertThat(Checkpoint.fromBytes(saves.get(0)).params()).isNotEqualTo(epoch2.params());
  }

  @Test
  void setLearningRateTakesEffectBetweenSteps() {
    TrainingJob job = job(1, 0, "constant");
    TrainingResult r =
        new JobTrainer()
            .train(
                job, feed, commandsAt(3, 0.0005, Action.SET_LEARNING_RATE), CheckpointStore.NONE);
    assertThat(r.history().get(0).metrics().get("learning_rate"))
        .isEqualTo(0.0005, org.assertj.core.data.Offset.offset(1e-9));
  }

  @Test
  void earlyStoppingKeepsTheBestEpoch() {
    TrainingJob job = job(40, 2, "constant");
    TrainingResult r = new JobTrainer().train(job, feed, TrainingListener.NONE);
    assertThat(r.stoppedBy()).isEqualTo("early-stopping");
    int run = r.metrics().get("epochs_run").intValue();
    assertThat(run).isLessThan(40);
    assertThat(r.metrics().get("best_epoch")).isEqualTo(run - 2.0);
    double bestSeen =
        r.history().stream().mapToDouble(e -> e.metrics().get("val_accuracy")).max().orElseThrow();
    assertThat(r.metrics().get("val_accuracy")).isEqualTo(bestSeen);
  }
}
