package io.streamforge.training.core;

import java.util.Map;

/**
 * One epoch's figures.
 *
 * @param epoch 1-based epoch number
 * @param step optimizer steps taken so far
 * @param metrics epoch metrics by name ({@code train_loss}, {@code val_accuracy}, ...)
 */
public record EpochSummary(int epoch, long step, Map<String, Double> metrics) {}
