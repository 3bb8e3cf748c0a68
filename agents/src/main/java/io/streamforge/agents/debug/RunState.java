package io.streamforge.agents.debug;

import java.util.List;
import java.util.Objects;

/**
 * What the training debugger remembers of one run between metric samples (kept in a state store,
 * keyed by run).
 *
 * @param run the training job id
 * @param recentLoss the last step-loss samples, oldest first, at most the policy's window
 * @param bestLoss the lowest window-averaged step loss so far, NaN before a full window
 * @param bestVal the best validation metric so far, NaN before the first epoch
 * @param lastStep the step of the last loss sample taken, -1 before any (older or repeated samples
 *     are ignored, so a replayed metric does not count twice)
 * @param epochsSinceBest epochs since the validation metric last improved
 * @param lrReductions learning rate reductions asked for so far
 * @param restores checkpoint restores asked for so far
 * @param learningRate the learning rate the run trains with, as far as the debugger knows
 * @param stopped whether the debugger stopped the run; a stopped run gets no more actions
 */
public record RunState(
    String run,
    List<Double> recentLoss,
    double bestLoss,
    double bestVal,
    long lastStep,
    int epochsSinceBest,
    int lrReductions,
    int restores,
    double learningRate,
    boolean stopped) {

  public RunState {
    Objects.requireNonNull(run, "run");
    recentLoss = List.copyOf(recentLoss);
  }

  /** A run that has reported nothing yet and trains at {@code learningRate}. */
  public static RunState initial(String run, double learningRate) {
    return new RunState(run, List.of(), Double.NaN, Double.NaN, -1, 0, 0, 0, learningRate, false);
  }
}
