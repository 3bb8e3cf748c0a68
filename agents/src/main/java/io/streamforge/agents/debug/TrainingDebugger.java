package io.streamforge.agents.debug;

import io.streamforge.schemas.records.ControlCommand;
import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The model debugger: watches one run's metrics and steps in when training goes wrong, so that a
 * diverging or stalled trial is repaired or stopped instead of burning its time budget.
 *
 * <ul>
 *   <li>A non-finite step loss asks for the last checkpoint back, with a lower learning rate; after
 *       {@link DebugPolicy#maxRestores} restores the run is stopped.
 *   <li>Divergence: the step loss averaged over the last {@link DebugPolicy#window} samples rises
 *       above {@link DebugPolicy#divergenceFactor} times the lowest such average so far. The
 *       learning rate drops by {@link DebugPolicy#lrFactor}; when the average is past the factor
 *       squared (the weights are likely ruined) the last checkpoint is restored first. Averaging
 *       over a window keeps single noisy mini-batches from raising an alarm.
 *   <li>Plateau: the validation metric has not improved by {@link DebugPolicy#minImprovement} for
 *       {@link DebugPolicy#plateauPatience} epochs. The learning rate drops; once {@link
 *       DebugPolicy#maxLrReductions} reductions (divergence ones included) are spent, the run is
 *       stopped.
 * </ul>
 *
 * The debugger is a pure function of the state and the sample: the caller keeps the state.
 */
public final class TrainingDebugger {
  private final DebugPolicy policy;

  public TrainingDebugger(DebugPolicy policy) {
    this.policy = Objects.requireNonNull(policy, "policy");
  }

  /**
   * Takes one step-loss sample (metric {@code loss}, label {@code scope=step}). Samples of a step
   * at or before the last one taken are ignored (replays), as are samples of a stopped run.
   */
  public Step onStepLoss(RunState s, long step, double loss) {
    if (s.stopped() || step <= s.lastStep()) {
      return new Step(s, Optional.empty());
    }
    if (!Double.isFinite(loss)) {
      return nonFinite(s, step, loss);
    }
    List<Double> recent = new ArrayList<>(s.recentLoss());
    recent.add(loss);
    while (recent.size() > policy.window()) {
      recent.remove(0);
    }
    if (recent.size() < policy.window()) {
      return quiet(s, recent, s.bestLoss(), step);
    }
    double avg = recent.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
    double best = s.bestLoss();
    if (Double.isNaN(best) || avg < best) {
      return quiet(s, recent, avg, step);
    }
    if (avg <= policy.divergenceFactor() * best) {
      return quiet(s, recent, best, step);
    }
    String what =
        "mean loss "
            + num(avg)
            + " over the last "
            + policy.window()
            + " samples (step "
            + step
            + ") rose past "
            + num(policy.divergenceFactor())
            + " × best "
            + num(best);
    if (s.lrReductions() >= policy.maxLrReductions()) {
      return stop(
          s, step, what + " after " + s.lrReductions() + " learning rate reduction(s); stopping");
    }
    double lr = s.learningRate() * policy.lrFactor();
    boolean severe =
        avg > policy.divergenceFactor() * policy.divergenceFactor() * best
            && s.restores() < policy.maxRestores();
    String reason =
        what
            + (severe ? "; restoring the last checkpoint" : "")
            + "; learning rate "
            + num(s.learningRate())
            + " → "
            + num(lr);
    RunState next =
        new RunState(
            s.run(),
            List.of(),
            best,
            s.bestVal(),
            step,
            s.epochsSinceBest(),
            s.lrReductions() + 1,
            s.restores() + (severe ? 1 : 0),
            lr,
            false);
    ControlCommand.Action a =
        severe ? ControlCommand.Action.RESTORE_CHECKPOINT : ControlCommand.Action.SET_LEARNING_RATE;
    return new Step(next, Optional.of(new Action(a, lr, reason)));
  }

  private Step nonFinite(RunState s, long step, double loss) {
    if (s.restores() >= policy.maxRestores()) {
      return stop(
          s,
          step,
          "loss " + loss + " at step " + step + " after " + s.restores() + " restore(s); stopping");
    }
    double lr = s.learningRate() * policy.lrFactor();
    String reason =
        "loss "
            + loss
            + " at step "
            + step
            + "; restoring the last checkpoint (restore "
            + (s.restores() + 1)
            + " of "
            + policy.maxRestores()
            + "); learning rate "
            + num(s.learningRate())
            + " → "
            + num(lr);
    RunState next =
        new RunState(
            s.run(),
            List.of(),
            s.bestLoss(),
            s.bestVal(),
            step,
            s.epochsSinceBest(),
            s.lrReductions(),
            s.restores() + 1,
            lr,
            false);
    return new Step(
        next, Optional.of(new Action(ControlCommand.Action.RESTORE_CHECKPOINT, lr, reason)));
  }

  /**
   * Takes one epoch's validation metric ({@code val_accuracy}, {@code val_rmse}...). A NaN metric
   * counts as no improvement.
   */
  public Step onEpoch(RunState s, long epoch, double valMetric, boolean higherIsBetter) {
    if (s.stopped()) {
      return new Step(s, Optional.empty());
    }
    double best = s.bestVal();
    boolean improved =
        !Double.isNaN(valMetric)
            && (Double.isNaN(best)
                || (higherIsBetter
                    ? valMetric > best + policy.minImprovement()
                    : valMetric < best - policy.minImprovement()));
    if (improved) {
      return new Step(
          withEpoch(s, valMetric, 0, s.lrReductions(), s.learningRate()), Optional.empty());
    }
    int since = s.epochsSinceBest() + 1;
    if (since < policy.plateauPatience()) {
      return new Step(
          withEpoch(s, best, since, s.lrReductions(), s.learningRate()), Optional.empty());
    }
    String what =
        "validation metric "
            + num(valMetric)
            + " (epoch "
            + epoch
            + ") has not improved on the best "
            + num(best)
            + " by "
            + num(policy.minImprovement())
            + " for "
            + since
            + " epoch(s)";
    if (s.lrReductions() >= policy.maxLrReductions()) {
      return stop(
          s,
          s.lastStep(),
          what + " after " + s.lrReductions() + " learning rate reduction(s); stopping");
    }
    double lr = s.learningRate() * policy.lrFactor();
    String reason = what + "; learning rate " + num(s.learningRate()) + " → " + num(lr);
    return new Step(
        withEpoch(s, best, 0, s.lrReductions() + 1, lr),
        Optional.of(new Action(ControlCommand.Action.SET_LEARNING_RATE, lr, reason)));
  }

  private static RunState withEpoch(
      RunState s, double bestVal, int since, int reductions, double lr) {
    return new RunState(
        s.run(),
        s.recentLoss(),
        s.bestLoss(),
        bestVal,
        s.lastStep(),
        since,
        reductions,
        s.restores(),
        lr,
        false);
  }

  private static Step quiet(RunState s, List<Double> recent, double bestLoss, long step) {
    return new Step(
        new RunState(
            s.run(),
            recent,
            bestLoss,
            s.bestVal(),
            step,
            s.epochsSinceBest(),
            s.lrReductions(),
            s.restores(),
            s.learningRate(),
            false),
        Optional.empty());
  }

  private static Step stop(RunState s, long step, String reason) {
    RunState next =
        new RunState(
            s.run(),
            s.recentLoss(),
            s.bestLoss(),
            s.bestVal(),
            Math.max(step, s.lastStep()),
            s.epochsSinceBest(),
            s.lrReductions(),
            s.restores(),
            s.learningRate(),
            true);
    return new Step(next, Optional.of(new Action(ControlCommand.Action.STOP, null, reason)));
  }

  /** A figure to three significant digits, without trailing zeros ({@code 0.003}, {@code 8.31}). */
  static String num(double d) {
    if (!Double.isFinite(d)) {
      return Double.toString(d);
    }
    return new BigDecimal(d).round(new MathContext(3)).stripTrailingZeros().toPlainString();
  }
}
