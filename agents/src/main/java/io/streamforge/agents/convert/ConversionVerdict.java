package io.streamforge.agents.convert;

/**
 * Whether a model's ONNX conversion can be trusted.
 *
 * @param passed whether it can
 * @param reason the figure and the tolerance, or what was missing
 */
public record ConversionVerdict(boolean passed, String reason) {}
