package io.streamforge.schemas;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.Serde;

/**
 * A Kafka topic with the types of its keys and values: name, serdes, partitions, cleanup policy and
 * retention. Immutable; every topic is declared in {@link Topics}.
 *
 * @param name topic name
 * @param keySerde key serde
 * @param valueSerde value serde
 * @param partitions partitions when the topic is created
 * @param cleanupPolicy delete or compact
 * @param retention how long records are kept (null: forever)
 * @param extraConfigs further topic configs
 */
public record Topic<K, V>(
    String name,
    Serde<K> keySerde,
    Serde<V> valueSerde,
    int partitions,
    CleanupPolicy cleanupPolicy,
    Duration retention,
    Map<String, String> extraConfigs) {

  /** Kafka's cleanup policies. */
  public enum CleanupPolicy {
    DELETE(TopicConfig.CLEANUP_POLICY_DELETE),
    COMPACT(TopicConfig.CLEANUP_POLICY_COMPACT);

    private final String config;

    CleanupPolicy(String config) {
      this.config = config;
    }

    public String config() {
      return config;
    }
  }

  public Topic {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(keySerde, "keySerde");
    Objects.requireNonNull(valueSerde, "valueSerde");
    Objects.requireNonNull(cleanupPolicy, "cleanupPolicy");
    if (name.isBlank() || !name.matches("[A-Za-z0-9._-]{1,249}")) {
      throw new IllegalArgumentException(
          "invalid topic name '" + name + "' (letters, digits, '.', '_', '-'; 1 to 249)");
    }
    if (partitions < 1) {
      throw new IllegalArgumentException("partitions must be >= 1, was " + partitions);
    }
    extraConfigs = Map.copyOf(extraConfigs == null ? Map.of() : extraConfigs);
  }

  /**
   * Topics are equal when they describe the same topic: name, settings and serde types (serde
   * instances hold allocators and are compared by class).
   */
  @Override
  public boolean equals(Object o) {
    return o instanceof Topic<?, ?> t
        && name.equals(t.name)
        && keySerde.getClass() == t.keySerde.getClass()
        && valueSerde.getClass() == t.valueSerde.getClass()
        && partitions == t.partitions
        && cleanupPolicy == t.cleanupPolicy
        && java.util.Objects.equals(retention, t.retention)
        && extraConfigs.equals(t.extraConfigs);
  }

  @Override
  public int hashCode() {
    return java.util.Objects.hash(
        name, keySerde.getClass(), valueSerde.getClass(), partitions, cleanupPolicy, retention);
  }

  /** The same topic with another partition count. */
  public Topic<K, V> withPartitions(int n) {
    return new Topic<>(name, keySerde, valueSerde, n, cleanupPolicy, retention, extraConfigs);
  }

  /** The same topic with another value serde (e.g. one bound to a test's allocator). */
  public <W> Topic<K, W> withValueSerde(Serde<W> serde) {
    return new Topic<>(name, keySerde, serde, partitions, cleanupPolicy, retention, extraConfigs);
  }

  /** The topic configs Kafka is given at creation. */
  public Map<String, String> configs() {
    Map<String, String> configs = new LinkedHashMap<>();
    configs.put(TopicConfig.CLEANUP_POLICY_CONFIG, cleanupPolicy.config());
    if (cleanupPolicy == CleanupPolicy.DELETE) {
      configs.put(
          TopicConfig.RETENTION_MS_CONFIG,
          retention == null ? "-1" : Long.toString(retention.toMillis()));
    }
    configs.putAll(extraConfigs);
    return configs;
  }

  /** The admin request that creates it, with the cluster's default replication factor. */
  public NewTopic newTopic() {
    return new NewTopic(name, Optional.of(partitions), Optional.empty()).configs(configs());
  }
}
