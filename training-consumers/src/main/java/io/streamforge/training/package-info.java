/**
 * Training consumers: workers that take training jobs from Kafka, stream their dataset as Arrow
 * batches into DJL, and publish metrics, checkpoints and ONNX models.
 */
package io.streamforge.training;
