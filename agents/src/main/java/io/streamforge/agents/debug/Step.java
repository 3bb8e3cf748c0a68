package io.streamforge.agents.debug;

import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import com.fasterxml.jackson.databind.util.StdConverter;
import java.util.Objects;
import java.util.Optional;

/**
 * The debugger's answer to one metric sample: the run's next state and, maybe, an action. In JSON
 * the action is a plain nullable field ({@code {"state": ..., "action": null}}), so the mapper
 * needs no Optional support.
 *
 * @param state the state to keep
 * @param action what to ask of the run, if anything
 */
@JsonSerialize(converter = Step.ToJson.class)
@JsonDeserialize(converter = Step.FromJson.class)
public record Step(RunState state, Optional<Action> action) {

  public Step {
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(action, "action");
  }

  /** The JSON form of a step. */
  record Json(RunState state, Action action) {}

  static final class ToJson extends StdConverter<Step, Json> {
    @Override
    public Json convert(Step s) {
      return new Json(s.state(), s.action().orElse(null));
    }
  }

  static final class FromJson extends StdConverter<Json, Step> {
    @Override
    public Step convert(Json j) {
      return new Step(j.state(), Optional.ofNullable(j.action()));
    }
  }
}
