package io.streamforge.streams.agents;

import static org.assertj.core.api.Assertions.assertThat;

import io.streamforge.agents.task.Requirements;
import io.streamforge.schemas.Topics;
import io.streamforge.schemas.arrow.BatchMetadata;
import io.streamforge.schemas.arrow.DatasetBatch;
import io.streamforge.schemas.records.AgentMessage;
import io.streamforge.schemas.records.TrainingJob;
import io.streamforge.schemas.serde.DatasetBatchSerde;
import io.streamforge.streams.support.Json;
import io.streamforge.streams.support.Messages;
import io.streamforge.streams.support.Payloads;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.TestInputTopic;
import org.junit.jupiter.api.Test;

/**
 * Statistics folded from dataset batches in the stream; requests answered once they are complete.
 */
class PreprocessingTopologyTest {
  @Test
  void answersOnceEveryRowOfTheVersionIsCounted() {
    try (BufferAllocator allocator = new RootAllocator();
        Drivers d = new Drivers(PreprocessingTopology.build())) {
      DatasetBatchSerde serde = new DatasetBatchSerde();
      TestInputTopic<String, byte[]> data =
          d.driver.createInputTopic(
              "datasets.toy", Serdes.String().serializer(), Serdes.ByteArray().serializer());
      TestInputTopic<String, AgentMessage> in = d.in(Topics.AGENT_MESSAGES);
      var out = d.out(Topics.AGENT_MESSAGES);

      in.pipeInput("wf-1", request("wf-1", 60));
      assertThat(out.isEmpty()).as("no statistics yet: the request waits").isTrue();
      data.pipeInput("b0", batch(serde, allocator, 0, 30));
      assertThat(out.isEmpty()).as("half the rows").isTrue();
      // a batch of an aborted publish of the same version (another producer) does not count
      data.pipeInput("x0", batch(serde, allocator, 0, 30, "other-producer", 0f));
      assertThat(out.isEmpty()).isTrue();
      data.pipeInput("b1", batch(serde, allocator, 1, 30));
      AgentMessage answer = out.readValue();
      assertThat(answer.correlationId()).isEqualTo("wf-1/preprocess/1");
      Payloads.Preprocessed p = Json.read(answer.payload(), Payloads.Preprocessed.class);
      assertThat(p.rows()).isEqualTo(60);
      // the constant column is reported, and kept: callers send the dataset's columns
      assertThat(p.spec().features()).containsExactly("a", "b");
      assertThat(p.report().findings())
          .anyMatch(f -> f.column().equals("b") && f.code().equals("constant-column"));
      assertThat(p.labelDistribution()).containsEntry("0", 20L).containsEntry("2", 20L);
      assertThat(p.columns().get("a").get("mean"))
          .isCloseTo(29.5, org.assertj.core.data.Offset.offset(1e-9));
      assertThat(p.report().blocking()).isFalse();

      in.pipeInput("wf-2", request("wf-2", 60));
      assertThat(out.readValue().workflowId())
          .as("complete statistics answer at once")
          .isEqualTo("wf-2");
    }
  }

  private static AgentMessage request(String wf, long rows) {
    Requirements req =
        new Requirements(
            TrainingJob.TaskType.CLASSIFICATION,
            "label",
            List.of("a", "b"),
            "val_accuracy",
            true,
            List.of());
    return Messages.request(
        wf + "/preprocess/1",
        wf,
        Messages.ORCHESTRATOR,
        Messages.PREPROCESSING,
        Payloads.PREPROCESS,
        new Payloads.PreprocessRequest("toy", 1, "p1", rows, req, 0.2),
        1,
        Drivers.T0);
  }

  private static byte[] batch(
      DatasetBatchSerde serde, BufferAllocator allocator, int seq, int rows) {
    return batch(serde, allocator, seq, rows, "p1", 1f);
  }

  /** Rows {@code seq*rows ..}: a = row number, b = constant, label = row % 3. */
  private static byte[] batch(
      DatasetBatchSerde serde,
      BufferAllocator allocator,
      int seq,
      int rows,
      String producer,
      float b) {
    try (Float4Vector a = new Float4Vector("a", allocator);
        Float4Vector bv = new Float4Vector("b", allocator);
        BigIntVector label = new BigIntVector("label", allocator)) {
      a.allocateNew(rows);
      bv.allocateNew(rows);
      label.allocateNew(rows);
      for (int i = 0; i < rows; i++) {
        int r = seq * rows + i;
        a.set(i, r);
        bv.set(i, b);
        label.set(i, r % 3);
      }
      try (VectorSchemaRoot root = VectorSchemaRoot.of(a, bv, label)) {
        root.setRowCount(rows);
        BatchMetadata md = new BatchMetadata("toy", 1, seq, producer, rows);
        return serde.serializer().serialize("datasets.toy", DatasetBatch.view(md, root, null));
      }
    }
  }
}
