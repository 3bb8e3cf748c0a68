package io.streamforge.training.worker;

import io.streamforge.arrowio.dataset.KafkaClients;
import io.streamforge.schemas.Topics;
import io.streamforge.schemas.records.ControlCommand;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * The commands on {@code training.control} for one running job, polled by the training thread
 * between steps, at most every {@code every}.
 *
 * <p>Read from shortly before the job was submitted (its {@code submittedAt}, less {@link
 * #CLOCK_MARGIN} for clocks that disagree), not from the moment it starts: a command sent while the
 * job waited for a slot, or while it was being handed from one worker to another, is not lost. A
 * resumed job thus sees again the commands its earlier run acted on; they are idempotent from a
 * checkpoint (a learning rate set again, one more checkpoint), and a {@code STOP} ends the job as
 * asked. A job without a submission time is read from the moment it starts.
 */
final class ControlChannel implements AutoCloseable {
  static final Duration CLOCK_MARGIN = Duration.ofMinutes(5);

  private final KafkaConsumer<String, byte[]> consumer;
  private final String jobId;
  private final long everyNanos;
  private final Deserializer<ControlCommand> deserializer =
      Topics.TRAINING_CONTROL.valueSerde().deserializer();
  private long last;

  ControlChannel(KafkaClients clients, String jobId, Duration every, Instant submittedAt) {
    this.jobId = jobId;
    this.everyNanos = every.toNanos();
    this.consumer = new KafkaConsumer<>(clients.consumer("streamforge-control-" + jobId));
    List<TopicPartition> parts = new ArrayList<>();
    consumer
        .partitionsFor(Topics.TRAINING_CONTROL.name())
        .forEach(p -> parts.add(new TopicPartition(p.topic(), p.partition())));
    consumer.assign(parts);
    consumer.seekToEnd(parts);
    if (submittedAt != null) {
      long from = submittedAt.minus(CLOCK_MARGIN).toEpochMilli();
      Map<TopicPartition, Long> times = new HashMap<>();
      parts.forEach(tp -> times.put(tp, from));
      consumer
          .offsetsForTimes(times)
          .forEach(
              (tp, at) -> {
                if (at != null) {
                  consumer.seek(tp, at.offset()); // else: nothing that recent, stay at the end
                }
              });
    }
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
