package io.streamforge.arrowio.models;

import io.streamforge.arrowio.dataset.KafkaClients;
import io.streamforge.arrowio.dataset.TopicSnapshot;
import io.streamforge.schemas.Topics;
import io.streamforge.schemas.records.ModelEvent;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A snapshot of {@code models}: the latest event of every {@code model:version:variant}, as of the
 * moment it was loaded.
 */
public final class ModelRegistry {
  private final Map<String, ModelEvent> latest;

  private ModelRegistry(Map<String, ModelEvent> latest) {
    this.latest = latest;
  }

  /** Reads {@code models} from the beginning to its current end. */
  public static ModelRegistry load(KafkaClients clients) {
    Map<String, ModelEvent> latest = new TreeMap<>();
    TopicSnapshot.read(clients, Topics.MODELS, (key, event) -> latest.put(event.key(), event));
    return new ModelRegistry(latest);
  }

  /** Model names, sorted. */
  public List<String> models() {
    return latest.values().stream().map(ModelEvent::model).distinct().sorted().toList();
  }

  /** Every version and variant of {@code model}, by version then variant. */
  public List<ModelEvent> events(String model) {
    List<ModelEvent> out = new ArrayList<>();
    for (ModelEvent e : latest.values()) {
      if (e.model().equals(model)) {
        out.add(e);
      }
    }
    out.sort(Comparator.comparingInt(ModelEvent::version).thenComparing(ModelEvent::variant));
    return out;
  }

  /** The latest event of one version and variant. */
  public Optional<ModelEvent> event(String model, int version, String variant) {
    return Optional.ofNullable(latest.get(ModelEvent.key(model, version, variant)));
  }

  /**
   * The highest version of {@code model} with {@code variant} that neither failed nor was rolled
   * back.
   */
  public Optional<ModelEvent> latestServable(String model, String variant) {
    return events(model).stream()
        .filter(e -> e.variant().equals(variant))
        .filter(e -> e.status() != ModelEvent.ModelStatus.FAILED)
        .filter(e -> e.status() != ModelEvent.ModelStatus.ROLLED_BACK)
        .max(Comparator.comparingInt(ModelEvent::version));
  }

  /** The version the next model of this name gets: one above every version seen. */
  public int nextVersion(String model) {
    return events(model).stream().mapToInt(ModelEvent::version).max().orElse(0) + 1;
  }
}
