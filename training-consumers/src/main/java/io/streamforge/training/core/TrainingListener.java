package io.streamforge.training.core;

import io.streamforge.schemas.records.ControlCommand;
import io.streamforge.schemas.records.MetricPoint;
import java.util.List;

/** What a running job reports, and where it takes instructions from between steps. */
public interface TrainingListener {
  /** One interval's metrics, as one batch. */
  default void metrics(List<MetricPoint> interval) {}

  /** Called after every epoch with that epoch's summary. */
  default void epochEnd(EpochSummary summary) {}

  /** Control commands that arrived since the last call (polled between steps). */
  default List<ControlCommand> pollControl() {
    return List.of();
  }

  TrainingListener NONE = new TrainingListener() {};
}
