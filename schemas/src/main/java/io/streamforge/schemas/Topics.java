package io.streamforge.schemas;

import io.streamforge.schemas.Topic.CleanupPolicy;
import io.streamforge.schemas.arrow.Allocators;
import io.streamforge.schemas.arrow.Compression;
import io.streamforge.schemas.arrow.DatasetBatch;
import io.streamforge.schemas.records.AgentMessage;
import io.streamforge.schemas.records.ArtifactChunk;
import io.streamforge.schemas.records.ControlCommand;
import io.streamforge.schemas.records.DatasetManifest;
import io.streamforge.schemas.records.DeadLetter;
import io.streamforge.schemas.records.Deployment;
import io.streamforge.schemas.records.MetricPoint;
import io.streamforge.schemas.records.ModelEvent;
import io.streamforge.schemas.records.PhaseTransition;
import io.streamforge.schemas.records.TrainingJob;
import io.streamforge.schemas.records.WorkflowRequest;
import io.streamforge.schemas.serde.DatasetBatchSerde;
import io.streamforge.schemas.serde.RecordBatchSerde;
import io.streamforge.schemas.serde.RecordSerde;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/**
 * Every StreamForge topic, declared in one place. Keys are strings; values are Arrow IPC stream
 * bytes (ZSTD-compressed by default) of the record types in {@code io.streamforge.schemas.records}.
 *
 * <p>The serdes held here are shared by the whole process: they decode into the process-wide root
 * allocator, so closing them (Kafka clients close the serdes they are given) changes nothing. Code
 * that wants its own allocator (tests with leak checks) swaps the value serde with {@link
 * Topic#withValueSerde}.
 */
public final class Topics {
  private Topics() {}

  private static final Duration MONTH = Duration.ofDays(30);

  /** Prefix of the per-dataset topics. */
  public static final String DATASET_PREFIX = "datasets.";

  /** Suffix of dead-letter topics. */
  public static final String DLQ_SUFFIX = ".dlq";

  public static final Topic<String, DatasetManifest> DATASET_MANIFESTS =
      compact("dataset.manifests", 1, record(DatasetManifest.class));

  public static final Topic<String, WorkflowRequest> WORKFLOWS =
      compact("workflows", 3, record(WorkflowRequest.class));

  public static final Topic<String, PhaseTransition> PHASES =
      delete("phases", 3, MONTH, record(PhaseTransition.class));

  public static final Topic<String, AgentMessage> AGENT_MESSAGES =
      delete("agent.messages", 3, MONTH, record(AgentMessage.class));

  public static final Topic<String, TrainingJob> TRAINING_JOBS =
      delete("training.jobs", 6, MONTH, record(TrainingJob.class));

  public static final Topic<String, ControlCommand> TRAINING_CONTROL =
      delete("training.control", 6, Duration.ofDays(7), record(ControlCommand.class));

  public static final Topic<String, List<MetricPoint>> METRICS =
      delete(
          "metrics",
          3,
          Duration.ofDays(3),
          new RecordBatchSerde<>(MetricPoint.class, Compression.ZSTD, Allocators.root()));

  public static final Topic<String, ArtifactChunk> MODEL_ARTIFACTS =
      new Topic<>(
          "model.artifacts",
          Serdes.String(),
          record(ArtifactChunk.class),
          3,
          CleanupPolicy.COMPACT,
          null,
          Map.of(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Integer.toString(2 * 1024 * 1024)));

  public static final Topic<String, ModelEvent> MODELS =
      compact("models", 1, record(ModelEvent.class));

  public static final Topic<String, Deployment> DEPLOYMENTS =
      compact("deployments", 1, record(Deployment.class));

  /** The fixed topics, in the order they are created. */
  public static final List<Topic<String, ?>> ALL =
      List.of(
          DATASET_MANIFESTS,
          WORKFLOWS,
          PHASES,
          AGENT_MESSAGES,
          TRAINING_JOBS,
          TRAINING_CONTROL,
          METRICS,
          MODEL_ARTIFACTS,
          MODELS,
          DEPLOYMENTS);

  /**
   * The topic of one dataset, {@code datasets.<name>}: all versions of it, kept forever.
   *
   * @param partitions partitions when it is created (an existing topic keeps its own)
   */
  public static Topic<String, DatasetBatch> dataset(String name, int partitions) {
    return new Topic<>(
        DATASET_PREFIX + validDatasetName(name),
        Serdes.String(),
        new DatasetBatchSerde(Compression.ZSTD, Allocators.root()),
        partitions,
        CleanupPolicy.DELETE,
        null,
        Map.of(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Integer.toString(16 * 1024 * 1024)));
  }

  /** The dead-letter topic of a topic: {@code <topic>.dlq}. */
  public static Topic<String, DeadLetter> deadLetters(String topic) {
    return delete(topic + DLQ_SUFFIX, 1, MONTH, record(DeadLetter.class));
  }

  /**
   * Checks a dataset name: letters, digits, '_' and '-', starting with a letter or digit, at most
   * 200 characters (it becomes part of a topic name).
   */
  public static String validDatasetName(String name) {
    if (name == null || !name.matches("[A-Za-z0-9][A-Za-z0-9_-]{0,199}")) {
      throw new IllegalArgumentException(
          "invalid dataset name '"
              + name
              + "': use letters, digits, '_' and '-' (starting with a letter or digit)");
    }
    return name;
  }

  private static <V extends Record> Serde<V> record(Class<V> type) {
    return new RecordSerde<>(type, Compression.ZSTD, Allocators.root());
  }

  private static <V> Topic<String, V> compact(String name, int partitions, Serde<V> serde) {
    return new Topic<>(
        name, Serdes.String(), serde, partitions, CleanupPolicy.COMPACT, null, Map.of());
  }

  private static <V> Topic<String, V> delete(
      String name, int partitions, Duration retention, Serde<V> serde) {
    return new Topic<>(
        name, Serdes.String(), serde, partitions, CleanupPolicy.DELETE, retention, Map.of());
  }
}
