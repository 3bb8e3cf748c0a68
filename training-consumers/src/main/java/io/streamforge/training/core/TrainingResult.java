package io.streamforge.training.core;

import java.util.List;
import java.util.Map;

/**
 * A finished training run: the kept (best) weights, their metrics, and the engine's own outputs on
 * the validation rows for the parity check of an export.
 *
 * @param weights the kept network: the last epoch, or the best one under early stopping
 * @param preprocessing split, standardization and classes
 * @param metrics the final metrics (those of the kept epoch, plus run totals)
 * @param history every epoch's summary
 * @param valOutputs the engine's outputs on the validation rows with the kept weights: class
 *     probabilities ({@code valRows * classes}) or predictions in label units ({@code valRows})
 * @param stoppedBy why training ended: {@code epochs}, {@code early-stopping} or {@code control}
 */
public record TrainingResult(
    NetworkWeights weights,
    Preprocessing preprocessing,
    Map<String, Double> metrics,
    List<EpochSummary> history,
    float[] valOutputs,
    String stoppedBy) {}
