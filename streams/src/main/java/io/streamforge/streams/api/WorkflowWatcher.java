package io.streamforge.streams.api;

import io.streamforge.arrowio.dataset.KafkaClients;
import io.streamforge.schemas.Topics;
import io.streamforge.schemas.records.AgentMessage;
import io.streamforge.schemas.records.PhaseTransition;
import io.streamforge.streams.support.Json;
import io.streamforge.streams.support.Payloads;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;

/**
 * Follows one workflow from the topics alone (no API needed, any cluster): its phase transitions on
 * {@code phases}, its trials and the debugger's actions on {@code agent.messages}, from the
 * beginning. {@code streamforge status} and {@code trials} are built on it.
 */
public final class WorkflowWatcher {
  private WorkflowWatcher() {}

  /** What happens to a workflow. */
  public interface Listener {
    void transition(PhaseTransition t);

    default void trial(Payloads.Trial t) {}

    default void debugAction(Payloads.DebugAction a) {}

    /** One epoch of one of the workflow's runs (trials and the final training). */
    default void epoch(String run, long epoch, Map<String, Double> metrics) {}

    /** Whether {@link #epoch} is wanted (it costs reading {@code metrics}). */
    default boolean wantsEpochs() {
      return false;
    }
  }

  /**
   * Reads the workflow's records up to the topics' current ends, then — when {@code follow} — keeps
   * reading until a terminal phase, {@code stop} says so, or {@code timeout} passes.
   *
   * @return the last transition seen, or null
   */
  public static PhaseTransition watch(
      KafkaClients clients,
      String workflowId,
      Listener listener,
      boolean follow,
      Duration timeout,
      BooleanSupplier stop) {
    Map<String, Object> config = clients.consumer("streamforge-watch-" + workflowId);
    PhaseTransition last = null;
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(config)) {
      List<TopicPartition> partitions = new ArrayList<>();
      List<String> topics =
          new ArrayList<>(List.of(Topics.PHASES.name(), Topics.AGENT_MESSAGES.name()));
      if (listener.wantsEpochs()) {
        topics.add(Topics.METRICS.name());
      }
      for (String topic : topics) {
        List<PartitionInfo> infos = consumer.partitionsFor(topic, clients.apiTimeout());
        if (infos != null) {
          infos.forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
        }
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions, clients.apiTimeout());
      long deadline = System.nanoTime() + timeout.toNanos();
      boolean caughtUp = false;
      while (System.nanoTime() < deadline && !stop.getAsBoolean()) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          if (r.value() != null
              && r.topic().equals(Topics.METRICS.name())
              && r.key() != null
              && r.key().startsWith(workflowId + ".")) {
            epochs(r, listener);
            continue;
          }
          if (!workflowId.equals(r.key()) || r.value() == null) {
            continue;
          }
          if (r.topic().equals(Topics.PHASES.name())) {
            PhaseTransition t =
                Topics.PHASES.valueSerde().deserializer().deserialize(r.topic(), r.value());
            last = t;
            listener.transition(t);
          } else {
            AgentMessage m =
                Topics.AGENT_MESSAGES.valueSerde().deserializer().deserialize(r.topic(), r.value());
            if (Payloads.TRIAL.equals(m.payloadType())) {
              listener.trial(Json.read(m.payload(), Payloads.Trial.class));
            } else if (Payloads.DEBUG_ACTION.equals(m.payloadType())) {
              listener.debugAction(Json.read(m.payload(), Payloads.DebugAction.class));
            }
          }
        }
        if (!caughtUp) {
          caughtUp =
              end.entrySet().stream().allMatch(e -> consumer.position(e.getKey()) >= e.getValue());
        }
        if (caughtUp && (!follow || (last != null && last.to().terminal()))) {
          break;
        }
      }
    }
    return last;
  }

  private static void epochs(ConsumerRecord<String, byte[]> r, Listener listener) {
    java.util.List<io.streamforge.schemas.records.MetricPoint> points =
        Topics.METRICS.valueSerde().deserializer().deserialize(r.topic(), r.value());
    Map<String, Double> epoch = new java.util.TreeMap<>();
    String run = null;
    for (var p : points) {
      if (p.labels() != null && "epoch".equals(p.labels().get("scope"))) {
        epoch.put(p.name(), p.value());
        run = p.run();
      }
    }
    if (run != null && epoch.containsKey("epoch")) {
      listener.epoch(run, epoch.get("epoch").longValue(), epoch);
    }
  }
}
