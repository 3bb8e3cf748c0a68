package io.streamforge.streams.support;

import java.time.Duration;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * The message ids an app has acted on, in a changelogged store, so that a message delivered twice
 * (a producer retry outside a transaction, a replayed topic) is acted on once. Ids are forgotten
 * after {@link #RETENTION}.
 */
public final class SeenIds {
  public static final Duration RETENTION = Duration.ofDays(2);

  private final KeyValueStore<String, Long> store;

  public SeenIds(KeyValueStore<String, Long> store) {
    this.store = store;
  }

  public static StoreBuilder<KeyValueStore<String, Long>> store(String name) {
    return Stores.keyValueStoreBuilder(
        Stores.persistentKeyValueStore(name), Serdes.String(), Serdes.Long());
  }

  /** Records {@code id} as seen; false when it had been seen already. */
  public boolean firstTime(String id, long nowMs) {
    if (id == null) {
      return true;
    }
    if (store.get(id) != null) {
      return false;
    }
    store.put(id, nowMs);
    return true;
  }

  /** Forgets ids older than the retention; call from a punctuator. */
  public void purge(long nowMs) {
    long cutoff = nowMs - RETENTION.toMillis();
    try (KeyValueIterator<String, Long> it = store.all()) {
      while (it.hasNext()) {
        KeyValue<String, Long> e = it.next();
        if (e.value < cutoff) {
          store.delete(e.key);
        }
      }
    }
  }

  /** Schedules the hourly purge on {@code context}'s wall clock. */
  public void schedulePurge(ProcessorContext<?, ?> context) {
    context.schedule(
        Duration.ofHours(1),
        org.apache.kafka.streams.processor.PunctuationType.WALL_CLOCK_TIME,
        this::purge);
  }
}
