package io.streamforge.training.worker;

import io.streamforge.schemas.Topics;
import io.streamforge.schemas.records.MetricPoint;
import io.streamforge.training.core.TrainingListener;
import java.util.List;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Sends each interval's metrics as one record (one Arrow batch) to {@code metrics}. */
final class MetricsPublisher implements TrainingListener {
  private static final Logger log = LoggerFactory.getLogger(MetricsPublisher.class);
  private final Producer<String, byte[]> producer;
  private final String run;
  private final Serializer<List<MetricPoint>> serializer = Topics.METRICS.valueSerde().serializer();

  MetricsPublisher(Producer<String, byte[]> producer, String run) {
    this.producer = producer;
    this.run = run;
  }

  @Override
  public void metrics(List<MetricPoint> interval) {
    String topic = Topics.METRICS.name();
    producer.send(
        new ProducerRecord<>(topic, run, serializer.serialize(topic, interval)),
        (md, e) -> {
          if (e != null) {
            log.warn("metrics of {} lost: {}", run, e.getMessage());
          }
        });
  }
}
