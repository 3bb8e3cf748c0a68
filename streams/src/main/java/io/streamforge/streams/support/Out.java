package io.streamforge.streams.support;

import io.streamforge.schemas.Topic;
import io.streamforge.schemas.Topics;
import io.streamforge.schemas.records.AgentMessage;
import io.streamforge.schemas.records.ControlCommand;
import io.streamforge.schemas.records.Deployment;
import io.streamforge.schemas.records.ModelEvent;
import io.streamforge.schemas.records.PhaseTransition;
import io.streamforge.schemas.records.TrainingJob;
import java.util.List;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Produced;

/**
 * What a processor sends, to which topic: processors forward {@code Out}s and {@link #route} sends
 * each to its topic with that topic's serdes, so that one processor can write to several topics
 * inside one transaction.
 */
public record Out(String topic, Object value) {
  public static Out phase(PhaseTransition t) {
    return new Out(Topics.PHASES.name(), t);
  }

  public static Out message(AgentMessage m) {
    return new Out(Topics.AGENT_MESSAGES.name(), m);
  }

  public static Out job(TrainingJob j) {
    return new Out(Topics.TRAINING_JOBS.name(), j);
  }

  public static Out control(ControlCommand c) {
    return new Out(Topics.TRAINING_CONTROL.name(), c);
  }

  public static Out deployment(Deployment d) {
    return new Out(Topics.DEPLOYMENTS.name(), d);
  }

  public static Out model(ModelEvent e) {
    return new Out(Topics.MODELS.name(), e);
  }

  private static final List<Topic<String, ?>> TARGETS =
      List.of(
          Topics.PHASES,
          Topics.AGENT_MESSAGES,
          Topics.TRAINING_JOBS,
          Topics.TRAINING_CONTROL,
          Topics.DEPLOYMENTS,
          Topics.MODELS);

  /** Sends every {@code Out} of {@code stream} to its topic. */
  public static void route(KStream<String, Out> stream) {
    for (Topic<String, ?> t : TARGETS) {
      sendTo(stream, t);
    }
  }

  @SuppressWarnings("unchecked")
  private static <V> void sendTo(KStream<String, Out> stream, Topic<String, V> topic) {
    stream
        .filter((k, o) -> o.topic().equals(topic.name()))
        .mapValues(o -> (V) o.value())
        .to(topic.name(), Produced.with(topic.keySerde(), topic.valueSerde()));
  }
}
