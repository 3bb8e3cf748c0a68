package io.streamforge.arrowio.read;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.apache.arrow.vector.dictionary.Dictionary;
import org.apache.arrow.vector.dictionary.DictionaryProvider;

/** The dictionaries of the latest batch; owns their vectors. */
final class BatchDictionaries implements DictionaryProvider, AutoCloseable {
  private final Map<Long, Dictionary> map = new HashMap<>();

  Map<Long, Dictionary> map() {
    return map;
  }

  @Override
  public Dictionary lookup(long id) {
    return map.get(id);
  }

  @Override
  public Set<Long> getDictionaryIds() {
    return map.keySet();
  }

  /** Frees the dictionaries of the previous batch. */
  @Override
  public void close() {
    for (Dictionary d : map.values()) {
      d.getVector().close();
    }
    map.clear();
  }
}
