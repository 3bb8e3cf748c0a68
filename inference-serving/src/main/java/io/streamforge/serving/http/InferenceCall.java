package io.streamforge.serving.http;

import io.streamforge.serving.model.ModelRepository.Lease;
import io.streamforge.serving.model.ModelSession;
import io.streamforge.serving.model.Tensor;
import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;
import java.util.List;

/**
 * One inference request on its way through the edge. The event loop creates it with the raw body
 * and the sessions it leased; a worker decodes it, runs it (alone or in a batch) and encodes the
 * answer; the event loop writes that answer. The worker's fields are published to the event loop by
 * the hand-over ({@code Context.runOnContext}), so they need no synchronization.
 */
final class InferenceCall {
  final RoutingContext ctx;
  final Context context;
  final String model;
  final Lease lease;
  final long startNanos;
  final Buffer body;

  /** The checked request, once decoded. */
  InferenceCodec.Request request;

  /** The model's outputs (all of them, or the requested ones), once run. */
  List<Tensor> outputs;

  /** Why the request failed, if it did. */
  Throwable failure;

  /** Whether it was refused because the worker pool was full (503 with retry-after). */
  boolean overloaded;

  /** The answer, once encoded. */
  int status;

  Buffer response;

  /**
   * What is left to release once the answer is written and counted (the primary; the shadow copy
   * releases its own session).
   */
  Lease unreleased;

  InferenceCall(
      RoutingContext ctx,
      Context context,
      String model,
      Lease lease,
      long startNanos,
      Buffer body) {
    this.ctx = ctx;
    this.context = context;
    this.model = model;
    this.lease = lease;
    this.startNanos = startNanos;
    this.body = body;
  }

  ModelSession session() {
    return lease.primary();
  }
}
