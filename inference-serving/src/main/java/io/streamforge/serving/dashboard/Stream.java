package io.streamforge.serving.dashboard;

import io.streamforge.schemas.Topic;
import io.streamforge.schemas.Topics;
import java.util.Set;

/**
 * The topics the edge streams to dashboards, each under the name used in routes ({@code
 * /api/streams/<name>}), in event ids and in {@code include}: which filters apply to it is part of
 * the route's contract, so that a filter a stream cannot honour is refused instead of ignored.
 */
public enum Stream {
  /** {@code phases}: workflow phase transitions. */
  PHASES("phases", Topics.PHASES, Set.of("workflow")),
  /** {@code metrics}: trainer and edge metric batches. */
  METRICS("metrics", Topics.METRICS, Set.of("workflow", "run", "model", "source")),
  /** {@code agent.messages}, only the {@code trial} and {@code debug-action} events. */
  TRIALS("trials", Topics.AGENT_MESSAGES, Set.of("workflow")),
  /** {@code deployments}: rollout decisions (compacted). */
  DEPLOYMENTS("deployments", Topics.DEPLOYMENTS, Set.of("model")),
  /** {@code models}: the model registry (compacted). */
  MODELS("models", Topics.MODELS, Set.of("model"));

  private final String id;
  private final Topic<String, ?> topic;
  private final Set<String> filters;

  Stream(String id, Topic<String, ?> topic, Set<String> filters) {
    this.id = id;
    this.topic = topic;
    this.filters = filters;
  }

  /** The name in routes, event ids and {@code include}. */
  public String id() {
    return id;
  }

  public Topic<String, ?> topic() {
    return topic;
  }

  /** The query filters this stream honours. */
  public Set<String> filters() {
    return filters;
  }

  /** The stream of that name, or null. */
  public static Stream byId(String id) {
    for (Stream s : values()) {
      if (s.id.equals(id)) {
        return s;
      }
    }
    return null;
  }

  /** The stream reading that topic, or null. */
  static Stream byTopic(String topic) {
    for (Stream s : values()) {
      if (s.topic.name().equals(topic)) {
        return s;
      }
    }
    return null;
  }

  /** Decodes a record value with the topic's serde (null stays null: a tombstone). */
  Object decode(byte[] value) {
    return topic.valueSerde().deserializer().deserialize(topic.name(), value);
  }
}
