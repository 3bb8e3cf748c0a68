package io.streamforge.streams.support;

import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Keeps a global store equal to its (compacted) topic: puts values, deletes on tombstones. The apps
 * read manifests, deployments and registry events this way.
 */
public final class GlobalStoreLoader<V> implements Processor<String, V, Void, Void> {
  private final String storeName;
  private KeyValueStore<String, V> store;

  public GlobalStoreLoader(String storeName) {
    this.storeName = storeName;
  }

  @Override
  public void init(ProcessorContext<Void, Void> context) {
    store = context.getStateStore(storeName);
  }

  @Override
  public void process(Record<String, V> r) {
    if (r.key() == null) {
      return;
    }
    if (r.value() == null) {
      store.delete(r.key());
    } else {
      store.put(r.key(), r.value());
    }
  }
}
