package io.streamforge.training.worker;

import io.streamforge.arrowio.dataset.KafkaClients;
import io.streamforge.schemas.Topics;
import io.streamforge.schemas.records.ControlCommand;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * The commands on {@code training.control} for one running job, read from the moment the job
 * starts. Polled by the training thread between steps, at most every {@code every}.
 */
final class ControlChannel implements AutoCloseable {
  private final KafkaConsumer<String, byte[]> consumer;
  private final String jobId;
  private final long everyNanos;
  private final Deserializer<ControlCommand> deserializer =
      Topics.TRAINING_CONTROL.valueSerde().deserializer();
  private long last;

  ControlChannel(KafkaClients clients, String jobId, Duration every) {
    this.jobId = jobId;
    this.everyNanos = every.toNanos();
    this.consumer = new KafkaConsumer<>(clients.consumer("streamforge-control-" + jobId));
    List<TopicPartition> parts = new ArrayList<>();
    consumer
        .partitionsFor(Topics.TRAINING_CONTROL.name())
        .forEach(p -> parts.add(new TopicPartition(p.topic(), p.partition())));
    consumer.assign(parts);
    consumer.seekToEnd(parts);
    parts.forEach(consumer::position); // fix the start now: commands sent later are seen
  }

  List<ControlCommand> poll() {
    long now = System.nanoTime();
    if (now - last < everyNanos) {
      return List.of();
    }
    last = now;
    List<ControlCommand> out = new ArrayList<>();
    for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ZERO)) {
      if (jobId.equals(r.key()) && r.value() != null) {
        ControlCommand c = deserializer.deserialize(r.topic(), r.value());
        if (jobId.equals(c.jobId())) {
          out.add(c);
        }
      }
    }
    return out;
  }

  @Override
  public void close() {
    consumer.close(Duration.ofSeconds(2));
  }
}
