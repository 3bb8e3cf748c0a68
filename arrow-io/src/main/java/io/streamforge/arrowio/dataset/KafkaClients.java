package io.streamforge.arrowio.dataset;

import io.streamforge.schemas.KafkaUnavailableException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Connection settings shared by every client of one cluster (bootstrap servers plus whatever a
 * client properties file adds: SASL, TLS, ...), and the per-role configs derived from them.
 */
public record KafkaClients(Map<String, Object> common) {
  private static final Duration DEFAULT_API_TIMEOUT = Duration.ofSeconds(15);

  public KafkaClients {
    Objects.requireNonNull(common, "common");
    if (common.get("bootstrap.servers") == null) {
      throw new IllegalArgumentException("bootstrap.servers is required");
    }
    common = Map.copyOf(common);
  }

  public static KafkaClients of(String bootstrapServers) {
    return new KafkaClients(Map.of("bootstrap.servers", bootstrapServers));
  }

  public String bootstrapServers() {
    return String.valueOf(common.get("bootstrap.servers"));
  }

  /** How long a call may wait for the cluster (client setting {@code default.api.timeout.ms}). */
  public Duration apiTimeout() {
    Object v = common.get(CommonClientConfigs.DEFAULT_API_TIMEOUT_MS_CONFIG);
    return v == null ? DEFAULT_API_TIMEOUT : Duration.ofMillis(Long.parseLong(v.toString()));
  }

  /** A cluster that did not answer, named by its bootstrap servers. */
  public KafkaUnavailableException unreachable(Throwable cause) {
    return KafkaUnavailableException.at(bootstrapServers(), cause);
  }

  /** Admin client config. */
  public Map<String, Object> admin() {
    Map<String, Object> a = new HashMap<>(common);
    a.putIfAbsent(CommonClientConfigs.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) apiTimeout().toMillis());
    a.putIfAbsent(
        CommonClientConfigs.REQUEST_TIMEOUT_MS_CONFIG,
        (int) Math.min(apiTimeout().toMillis(), 10_000));
    return a;
  }

  /**
   * An idempotent producer of String keys and byte[] values, tuned for large batches: 4 MiB socket
   * buffers (the 128 KiB default caps throughput of multi-megabyte records even on loopback).
   */
  public Map<String, Object> producer(String clientId) {
    Map<String, Object> p = new HashMap<>(common);
    p.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    p.put(ProducerConfig.BATCH_SIZE_CONFIG, 1 << 20);
    p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 20 << 20);
    p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, 128L << 20);
    p.put(ProducerConfig.SEND_BUFFER_CONFIG, 4 << 20);
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    return p;
  }

  /** A consumer without a group (readers assign partitions themselves). */
  public Map<String, Object> consumer(String clientId) {
    Map<String, Object> c = new HashMap<>(common);
    c.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    c.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 20 << 20);
    c.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 64 << 20);
    c.put(ConsumerConfig.RECEIVE_BUFFER_CONFIG, 4 << 20);
    c.putIfAbsent(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) apiTimeout().toMillis());
    c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
    c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    return c;
  }

  /**
   * A consumer that reads up to known end offsets (snapshots, sealed ranges, artifacts): the broker
   * never holds a fetch waiting for data that will not come.
   */
  public Map<String, Object> boundedConsumer(String clientId) {
    Map<String, Object> c = consumer(clientId);
    c.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 10);
    return c;
  }
}
