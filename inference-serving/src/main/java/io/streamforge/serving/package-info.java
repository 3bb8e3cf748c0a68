/**
 * The inference edge: Vert.x serving ONNX models with ONNX Runtime over the Open Inference Protocol
 * v2, following the model registry and deployments on Kafka.
 */
package io.streamforge.serving;
