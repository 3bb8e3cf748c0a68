package io.streamforge.streams.support;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * A store of per-key state whose punctuator only cares about the entries still in progress (a
 * workflow not ended, a search not answered, a rollout not done): it remembers their keys in
 * memory, so that the periodic check reads those entries instead of decoding the whole,
 * ever-growing store every tick. The set is built by one scan on first use (after a restart too)
 * and kept up to date by {@link #put}.
 */
public final class LiveKeys<V> {
  private final KeyValueStore<String, V> store;
  private final Predicate<V> live;
  private Set<String> keys;

  public LiveKeys(KeyValueStore<String, V> store, Predicate<V> live) {
    this.store = store;
    this.live = live;
  }

  /** Stores {@code value} and notes whether it is still in progress. */
  public void put(String key, V value) {
    store.put(key, value);
    if (live.test(value)) {
      keys().add(key);
    } else {
      keys().remove(key);
    }
  }

  /** The entries in progress, as stored now. */
  public List<KeyValue<String, V>> entries() {
    List<KeyValue<String, V>> out = new ArrayList<>();
    for (String k : List.copyOf(keys())) {
      V v = store.get(k);
      if (v != null && live.test(v)) {
        out.add(KeyValue.pair(k, v));
      } else {
        keys.remove(k);
      }
    }
    return out;
  }

  private Set<String> keys() {
    if (keys == null) {
      keys = new HashSet<>();
      try (var it = store.all()) {
        while (it.hasNext()) {
          KeyValue<String, V> e = it.next();
          if (live.test(e.value)) {
            keys.add(e.key);
          }
        }
      }
    }
    return keys;
  }
}
