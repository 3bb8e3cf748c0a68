package io.streamforge.agents.debug;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.streamforge.schemas.records.ControlCommand;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TrainingDebuggerTest {
  private final DebugPolicy policy = DebugPolicy.defaults();
  private final TrainingDebugger debugger = new TrainingDebugger(policy);

  /** Feeds losses from step 1 on; returns the steps at which an action came, and the last state. */
  private record Run(RunState state, List<Long> actionSteps, List<Action> actions) {}

  private Run feed(RunState s, double[] losses) {
    List<Long> steps = new ArrayList<>();
    List<Action> actions = new ArrayList<>();
    for (int k = 0; k < losses.length; k++) {
      Step step = debugger.onStepLoss(s, k + 1, losses[k]);
      s = step.state();
      if (step.action().isPresent()) {
        steps.add((long) k + 1);
        actions.add(step.action().get());
      }
    }
    return new Run(s, steps, actions);
  }

  @Test
  void aNanLossRestoresTheCheckpointWithALowerLearningRateThenStops() {
    RunState s = RunState.initial("job-1", 0.01);

    Step first = debugger.onStepLoss(s, 10, Double.NaN);

    Action a = first.action().orElseThrow();
    assertThat(a.action()).isEqualTo(ControlCommand.Action.RESTORE_CHECKPOINT);
    assertThat(a.value()).isCloseTo(0.003, within(1e-12));
    assertThat(a.reason()).contains("loss NaN at step 10").contains("0.01 → 0.003");
    assertThat(first.state().restores()).isEqualTo(1);
    assertThat(first.state().learningRate()).isCloseTo(0.003, within(1e-12));

    Step second = debugger.onStepLoss(first.state(), 11, Double.POSITIVE_INFINITY);
    assertThat(second.action().orElseThrow().action())
        .isEqualTo(ControlCommand.Action.RESTORE_CHECKPOINT);

    Step third = debugger.onStepLoss(second.state(), 12, Double.NaN);
    assertThat(third.action().orElseThrow().action()).isEqualTo(ControlCommand.Action.STOP);
    assertThat(third.action().get().reason()).contains("after 2 restore(s)");
    assertThat(third.state().stopped()).isTrue();

    assertThat(debugger.onStepLoss(third.state(), 13, Double.NaN).action())
        .as("a stopped run gets no more actions")
        .isEmpty();
  }

  @Test
  void aRisingLossIsCaughtAsDivergenceAndTheLearningRateLowered() {
    double[] losses = new double[80];
    for (int k = 0; k < 40; k++) {
      losses[k] = 2.0 * Math.exp(-k / 20.0); // falls to about 0.28
    }
    for (int k = 40; k < 80; k++) {
      losses[k] = losses[39] * Math.pow(1.2, k - 39); // then blows up
    }

    Run run = feed(RunState.initial("job", 0.01), losses);

    assertThat(run.actionSteps()).isNotEmpty();
    long first = run.actionSteps().get(0);
    assertThat(first).as("not before the rise, and soon after it").isBetween(41L, 56L);
    Action a = run.actions().get(0);
    assertThat(a.action()).isEqualTo(ControlCommand.Action.SET_LEARNING_RATE);
    assertThat(a.value()).isCloseTo(0.003, within(1e-12));
    assertThat(a.reason())
        .matches(
            "mean loss [0-9.]+ over the last 5 samples \\(step \\d+\\) rose past 3 × best"
                + " [0-9.]+; learning rate 0.01 → 0.003");
    // the curve keeps rising: one more window later the rate drops again, then the run stops
    assertThat(run.actions())
        .extracting(Action::action)
        .containsExactly(
            ControlCommand.Action.SET_LEARNING_RATE,
            ControlCommand.Action.SET_LEARNING_RATE,
            ControlCommand.Action.STOP);
    assertThat(run.actionSteps().get(1)).isEqualTo(first + policy.window());
    assertThat(run.actions().get(2).reason()).contains("after 2 learning rate reduction(s)");
    assertThat(run.state().stopped()).isTrue();
  }

  @Test
  void aLossFarPastTheBestRestoresTheCheckpointBeforeLoweringTheRate() {
    double[] losses = new double[25];
    java.util.Arrays.fill(losses, 0, 20, 1.0);
    java.util.Arrays.fill(losses, 20, 25, 50.0);

    Run run = feed(RunState.initial("job", 0.01), losses);

    assertThat(run.actionSteps()).containsExactly(21L);
    Action a = run.actions().get(0);
    assertThat(a.action()).isEqualTo(ControlCommand.Action.RESTORE_CHECKPOINT);
    assertThat(a.value()).isCloseTo(0.003, within(1e-12));
    assertThat(a.reason())
        .isEqualTo(
            "mean loss 10.8 over the last 5 samples (step 21) rose past 3 × best 1; restoring the"
                + " last checkpoint; learning rate 0.01 → 0.003");
    assertThat(run.state().restores()).isEqualTo(1);
    assertThat(run.state().lrReductions()).isEqualTo(1);
  }

  @Test
  void aNoisyButFallingLossRaisesNoAlarm() {
    Random rnd = new Random(1234);
    double[] losses = new double[3000];
    for (int k = 0; k < losses.length; k++) {
      double trend = 2.0 * Math.exp(-k / 400.0) + 0.05;
      losses[k] = trend * Math.exp(0.4 * rnd.nextGaussian()); // mini-batch noise, ±50 %
    }

    Run run = feed(RunState.initial("job", 0.01), losses);

    assertThat(run.actions()).isEmpty();
    assertThat(run.state().bestLoss()).isLessThan(0.2);
    assertThat(run.state().recentLoss()).hasSize(policy.window());
  }

  @Test
  void aReplayedStepIsIgnored() {
    Step a = debugger.onStepLoss(RunState.initial("job", 0.01), 5, 1.0);

    Step again = debugger.onStepLoss(a.state(), 5, 1.0);
    Step older = debugger.onStepLoss(a.state(), 4, Double.NaN);

    assertThat(again.state()).isEqualTo(a.state());
    assertThat(older.action()).isEmpty();
    assertThat(older.state()).isEqualTo(a.state());
  }

  @Test
  void aPlateauLowersTheLearningRateTwiceThenStops() {
    double[] val = {0.70, 0.80, 0.85, 0.85, 0.85005, 0.84, 0.85, 0.85, 0.849, 0.85, 0.85, 0.85};
    RunState s = RunState.initial("job", 0.01);
    List<Long> epochs = new ArrayList<>();
    List<Action> actions = new ArrayList<>();
    for (int e = 0; e < val.length; e++) {
      Step step = debugger.onEpoch(s, e, val[e], true);
      s = step.state();
      if (step.action().isPresent()) {
        epochs.add((long) e);
        actions.add(step.action().get());
      }
    }

    assertThat(epochs).containsExactly(5L, 8L, 11L);
    assertThat(actions)
        .extracting(Action::action)
        .containsExactly(
            ControlCommand.Action.SET_LEARNING_RATE,
            ControlCommand.Action.SET_LEARNING_RATE,
            ControlCommand.Action.STOP);
    assertThat(actions.get(0).value()).isCloseTo(0.003, within(1e-12));
    assertThat(actions.get(1).value()).isCloseTo(0.0009, within(1e-12));
    assertThat(actions.get(2).reason()).contains("after 2 learning rate reduction(s); stopping");
    assertThat(s.stopped()).isTrue();
    assertThat(s.bestVal()).isEqualTo(0.85);
  }

  @Test
  void aPlateauReasonCarriesTheFigures() {
    RunState s = RunState.initial("job", 0.1);
    s = debugger.onEpoch(s, 0, 0.5, false).state();
    s = debugger.onEpoch(s, 1, 0.6, false).state();
    s = debugger.onEpoch(s, 2, 0.55, false).state();

    Action a = debugger.onEpoch(s, 3, 0.5, false).action().orElseThrow();

    assertThat(a.reason())
        .isEqualTo(
            "validation metric 0.5 (epoch 3) has not improved on the best 0.5 by 0.0001 for 3"
                + " epoch(s); learning rate 0.1 → 0.03");
  }

  @Test
  void lowerIsBetterImprovementsResetThePatience() {
    RunState s = RunState.initial("job", 0.1);
    double[] rmse = {1.0, 0.9, 0.95, 0.93, 0.8, 0.85, 0.84, 0.7};
    for (int e = 0; e < rmse.length; e++) {
      Step step = debugger.onEpoch(s, e, rmse[e], false);
      assertThat(step.action()).as("epoch %d", e).isEmpty();
      s = step.state();
    }
    assertThat(s.bestVal()).isEqualTo(0.7);
    assertThat(s.epochsSinceBest()).isZero();
  }

  @Test
  void aRestoreActionBecomesARestoreAndALearningRateCommand() {
    Instant t = Instant.parse("2025-01-01T00:00:00Z");
    Action restore = new Action(ControlCommand.Action.RESTORE_CHECKPOINT, 0.003, "why");

    List<ControlCommand> c = restore.commands("job", "debugger", t);

    assertThat(c)
        .containsExactly(
            new ControlCommand(
                "job", ControlCommand.Action.RESTORE_CHECKPOINT, null, "why", "debugger", t),
            new ControlCommand(
                "job", ControlCommand.Action.SET_LEARNING_RATE, 0.003, "why", "debugger", t));
    assertThat(new Action(ControlCommand.Action.STOP, null, "why").commands("job", "d", t))
        .hasSize(1);
  }

  @Test
  void statesAndStepsRoundTripThroughJson() throws Exception {
    ObjectMapper json = new ObjectMapper();
    RunState initial = RunState.initial("job", 0.01);
    Step withAction = debugger.onStepLoss(initial, 3, Double.NaN);
    Step without = debugger.onStepLoss(initial, 3, 1.5);

    assertThat(json.readValue(json.writeValueAsString(initial), RunState.class)).isEqualTo(initial);
    assertThat(json.readValue(json.writeValueAsString(withAction), Step.class))
        .isEqualTo(withAction);
    assertThat(json.readValue(json.writeValueAsString(without), Step.class)).isEqualTo(without);
    assertThat(json.readValue(json.writeValueAsString(policy), DebugPolicy.class))
        .isEqualTo(policy);
    assertThat(without.action()).isEqualTo(Optional.empty());
  }

  @Test
  void aPolicyRefusesSettingsThatMakeNoSense() {
    assertThatThrownBy(() -> new DebugPolicy(5, 0.5, 3, 0, 0.3, 2, 2))
        .hasMessageContaining("divergenceFactor");
    assertThatThrownBy(() -> new DebugPolicy(5, 3, 3, 0, 1.5, 2, 2))
        .hasMessageContaining("lrFactor");
  }
}
