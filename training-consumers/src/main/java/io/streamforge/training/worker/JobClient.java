package io.streamforge.training.worker;

import io.streamforge.arrowio.dataset.KafkaClients;
import io.streamforge.schemas.TopicAdmin;
import io.streamforge.schemas.Topics;
import io.streamforge.schemas.records.AgentMessage;
import io.streamforge.schemas.records.MetricPoint;
import io.streamforge.schemas.records.TrainingJob;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * Submits a training job and follows it: its epoch metrics from {@code metrics} and its status from
 * {@code agent.messages}, both read from the moment the client was opened.
 */
public final class JobClient implements AutoCloseable {
  private final KafkaClients clients;
  private final KafkaConsumer<String, byte[]> metrics;
  private final KafkaConsumer<String, byte[]> messages;

  public JobClient(KafkaClients clients) {
    this.clients = clients;
    try (Admin admin = Admin.create(clients.admin())) {
      TopicAdmin.ensure(admin, Topics.ALL);
    }
    this.metrics = atEnd(Topics.METRICS.name());
    this.messages = atEnd(Topics.AGENT_MESSAGES.name());
  }

  private KafkaConsumer<String, byte[]> atEnd(String topic) {
    KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(clients.consumer("streamforge-follow"));
    List<TopicPartition> parts = new ArrayList<>();
    c.partitionsFor(topic).forEach(p -> parts.add(new TopicPartition(topic, p.partition())));
    c.assign(parts);
    c.seekToEnd(parts);
    parts.forEach(c::position); // fix the positions before the job is submitted
    return c;
  }

  /** Sends the job to {@code training.jobs}, keyed by its id. */
  public void submit(TrainingJob job) {
    String topic = Topics.TRAINING_JOBS.name();
    try (KafkaProducer<String, byte[]> p =
        new KafkaProducer<>(clients.producer("streamforge-submit"))) {
      p.send(
              new ProducerRecord<>(
                  topic,
                  job.jobId(),
                  Topics.TRAINING_JOBS.valueSerde().serializer().serialize(topic, job)))
          .get(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted submitting job " + job.jobId(), e);
    } catch (ExecutionException | TimeoutException e) {
      throw clients.unreachable(e);
    }
  }

  /**
   * Follows a job until it succeeds or fails.
   *
   * @param onEpoch gets each epoch's metrics by name (with {@code epoch})
   * @param onStatus gets every status, RUNNING included
   * @return the final status, or null when {@code timeout} passed first
   */
  public JobStatus follow(
      String jobId,
      Duration timeout,
      Consumer<Map<String, Double>> onEpoch,
      Consumer<JobStatus> onStatus) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      pollMetrics(jobId, onEpoch);
      for (ConsumerRecord<String, byte[]> r : messages.poll(Duration.ofMillis(100))) {
        if (r.value() == null) {
          continue;
        }
        AgentMessage m =
            Topics.AGENT_MESSAGES.valueSerde().deserializer().deserialize(r.topic(), r.value());
        JobStatus s = JobStatus.from(m);
        if (s != null && jobId.equals(s.jobId())) {
          onStatus.accept(s);
          if (s.state() != JobStatus.State.RUNNING) {
            drainMetrics(jobId, onEpoch); // the worker flushed them before it sent the status
            return s;
          }
        }
      }
    }
    return null;
  }

  private void pollMetrics(String jobId, Consumer<Map<String, Double>> onEpoch) {
    for (ConsumerRecord<String, byte[]> r : metrics.poll(Duration.ofMillis(100))) {
      if (!jobId.equals(r.key()) || r.value() == null) {
        continue;
      }
      List<MetricPoint> points =
          Topics.METRICS.valueSerde().deserializer().deserialize(r.topic(), r.value());
      Map<String, Double> epoch = new TreeMap<>();
      for (MetricPoint p : points) {
        if (jobId.equals(p.run()) && "epoch".equals(p.labels().get("scope"))) {
          epoch.put(p.name(), p.value());
        }
      }
      if (!epoch.isEmpty()) {
        onEpoch.accept(epoch);
      }
    }
  }

  /** Reads the metrics up to the end they have now. */
  private void drainMetrics(String jobId, Consumer<Map<String, Double>> onEpoch) {
    Map<TopicPartition, Long> end = metrics.endOffsets(metrics.assignment());
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (System.nanoTime() < deadline
        && end.entrySet().stream().anyMatch(e -> metrics.position(e.getKey()) < e.getValue())) {
      pollMetrics(jobId, onEpoch);
    }
  }

  @Override
  public void close() {
    metrics.close(Duration.ofSeconds(2));
    messages.close(Duration.ofSeconds(2));
  }
}
