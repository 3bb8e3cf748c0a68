/**
 * Ensembles of registered fp32 models: their validation scores in ONNX Runtime on the rows they
 * were validated on, output averaging (mean of the class probabilities or predictions) or weight
 * averaging (element-wise mean of same-shaped weights), the decision to keep the ensemble only when
 * it beats the best single member, and one ONNX model that serves it like any other (input {@code
 * features}, outputs {@code probabilities} and {@code label}, or {@code prediction}). See {@code
 * docs/ensembling.md}.
 */
package io.streamforge.training.ensemble;
