package io.streamforge.training.data;

import io.streamforge.arrowio.tensor.FeatureEncoding;
import java.util.List;
import reactor.core.publisher.Flux;

/**
 * A dataset the trainer reads epoch by epoch as a stream of tensor batches. Every epoch yields
 * every row exactly once, in the same order (batches by sequence), so the same job gives the same
 * model.
 */
public interface BatchFeed extends AutoCloseable {
  /** Feature columns, in tensor order (one per category for one-hot encoded text columns). */
  List<String> featureColumns();

  /** How raw feature values become the tensor's columns; numeric columns only by default. */
  default FeatureEncoding encoding() {
    return FeatureEncoding.numericOnly(featureColumns());
  }

  /** The label column. */
  String labelColumn();

  /** The dataset's content hash (as sealed in its manifest), or null when unknown. */
  String contentHash();

  /** A description for logs and provenance, e.g. {@code iris:3}. */
  String describe();

  /**
   * One epoch: a cold Flux that reads the whole dataset when subscribed. Loading runs ahead of the
   * consumer by at most the feed's prefetch.
   */
  Flux<TensorBatch> epoch();

  @Override
  void close();
}
