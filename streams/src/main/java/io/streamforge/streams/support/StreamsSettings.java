package io.streamforge.streams.support;

import io.streamforge.arrowio.dataset.KafkaClients;
import java.nio.file.Path;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.LogAndContinueExceptionHandler;

/**
 * The settings every StreamForge Streams app shares: exactly-once v2, a short commit interval (the
 * apps exchange few, small messages and a workflow waits on each hop), the cluster's client
 * settings, and a state directory of its own per application.
 *
 * @param clients the cluster
 * @param stateDir where the apps keep their local stores
 * @param applicationPrefix prefix of every application id ({@code streamforge-} by default), so
 *     that two platforms can share a cluster
 * @param commitIntervalMs commit (and therefore hop) interval
 */
public record StreamsSettings(
    KafkaClients clients, Path stateDir, String applicationPrefix, long commitIntervalMs) {

  public static StreamsSettings of(KafkaClients clients, Path stateDir) {
    return new StreamsSettings(clients, stateDir, "streamforge-", 100);
  }

  /** The properties of the app {@code name}. */
  public Properties properties(String name) {
    Properties p = new Properties();
    clients.common().forEach((k, v) -> p.put(k, v));
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationPrefix + name);
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, commitIntervalMs);
    p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.resolve(name).toString());
    p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 1);
    p.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, -1);
    p.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
    p.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
    // new dataset topics are found by pattern: look for them every few seconds, not every 5 min
    p.put(StreamsConfig.consumerPrefix(ConsumerConfig.METADATA_MAX_AGE_CONFIG), 3000);
    // a record that cannot be decoded is logged (naming topic, partition and offset) and skipped
    p.put(
        StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG,
        LogAndContinueExceptionHandler.class);
    p.put(StreamsConfig.producerPrefix(ProducerConfig.LINGER_MS_CONFIG), 5);
    p.put(StreamsConfig.producerPrefix(ProducerConfig.MAX_REQUEST_SIZE_CONFIG), 4 * 1024 * 1024);
    return p;
  }
}
