/**
 * Quantized variants of exported models: int8 (weight-only, static QDQ, dynamic) and ternary
 * (BitNet b1.58 weights) rewrites of the fp32 ONNX graph, activation calibration, optional
 * quantization-aware fine-tuning of the ternary weights, evaluation against the fp32 model
 * (validation accuracy or RMSE, artifact bytes, ONNX Runtime latency) and the acceptance gate that
 * decides which variants are published. See {@code docs/quantization.md}.
 */
package io.streamforge.training.quant;
