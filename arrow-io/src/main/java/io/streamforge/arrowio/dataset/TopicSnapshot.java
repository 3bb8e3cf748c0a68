package io.streamforge.arrowio.dataset;

import io.streamforge.schemas.Topic;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import java.util.function.BiConsumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a (usually compacted) topic from the beginning to its end offsets as of the call: the
 * snapshot that catalogs and registries are built from. Records arrive in offset order per
 * partition; tombstones are skipped.
 */
public final class TopicSnapshot {
  private static final Logger log = LoggerFactory.getLogger(TopicSnapshot.class);

  private TopicSnapshot() {}

  /**
   * Hands every record of {@code topic} to {@code action}; a topic that does not exist yet reads as
   * empty.
   *
   * @throws io.streamforge.schemas.KafkaUnavailableException when the cluster does not answer
   */
  public static <V> void read(
      KafkaClients clients, Topic<String, V> topic, BiConsumer<String, V> action) {
    Duration timeout = clients.apiTimeout();
    Deserializer<V> values = topic.valueSerde().deserializer();
    Map<String, Object> config = clients.boundedConsumer("streamforge-snapshot-" + topic.name());
    long t0 = System.nanoTime();
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(config)) {
      List<PartitionInfo> infos = consumer.partitionsFor(topic.name(), timeout);
      if (infos == null || infos.isEmpty()) {
        return;
      }
      List<TopicPartition> partitions = new ArrayList<>();
      for (PartitionInfo p : infos) {
        partitions.add(new TopicPartition(topic.name(), p.partition()));
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions, timeout);
      long deadline = System.nanoTime() + timeout.toNanos();
      while (!reached(consumer, end)) {
        if (System.nanoTime() > deadline) {
          throw clients.unreachable(new TimeoutException("timed out reading " + topic.name()));
        }
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(50))) {
          if (r.value() == null) {
            continue;
          }
          V value;
          try {
            value = values.deserialize(topic.name(), r.value());
          } catch (SerializationException e) {
            // One unreadable record (a newer major version, a foreign writer) must not hide all
            // the others.
            log.warn(
                "skipping {}-{}@{} (key {}): {}",
                r.topic(),
                r.partition(),
                r.offset(),
                r.key(),
                e.getMessage());
            continue;
          }
          action.accept(r.key(), value);
        }
      }
    } catch (org.apache.kafka.common.errors.TimeoutException e) {
      throw clients.unreachable(e);
    }
    log.debug("read {} in {} ms", topic.name(), (System.nanoTime() - t0) / 1_000_000);
  }

  private static boolean reached(KafkaConsumer<?, ?> consumer, Map<TopicPartition, Long> end) {
    for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
      if (consumer.position(e.getKey()) < e.getValue()) {
        return false;
      }
    }
    return true;
  }
}
