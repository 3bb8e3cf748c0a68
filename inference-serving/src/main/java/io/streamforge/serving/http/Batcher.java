package io.streamforge.serving.http;

import io.streamforge.serving.metrics.EdgeMetrics;
import io.streamforge.serving.model.ModelSession;
import io.streamforge.serving.model.Tensor;
import io.streamforge.serving.model.TensorSpec;
import java.lang.reflect.Array;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Dynamic batching for one model version: requests arriving within {@code maxDelay} of the first
 * waiting one are concatenated along the first (batch) dimension, up to {@code maxSize} requests,
 * run once, and the outputs are split back by rows.
 *
 * <p>The batch is gathered on the event loops' side, before any worker is involved: the event loop
 * adds the request as it came (body not decoded yet) and a full batch, or the timer, hands the
 * whole batch to the worker pool as one task. That worker decodes every request, runs the batchable
 * ones in one model run, answers all of them, and hands the answers back to each event loop at
 * once: one hand-off per batch instead of one per request, which is what lets batching pay off on a
 * model whose inference costs less than the request around it.
 *
 * <p>Only models whose inputs all have a variable first dimension and fixed other dimensions are
 * batched ({@link #batchable}); a request with no rows runs alone, and an output whose first
 * dimension is not the batch's row count makes the batch run request by request instead, so
 * batching never changes an answer. Any input datatype is concatenated, strings (BYTES) included.
 */
final class Batcher {
  private final ModelSession session;
  private final int maxSize;
  private final long maxDelayNanos;
  private final Executor workers;
  private final ScheduledExecutorService timer;
  private final EdgeMetrics metrics;
  private final Consumer<List<InferenceCall>> answer;
  private final Consumer<List<InferenceCall>> refuse;
  private List<InferenceCall> pending = new ArrayList<>();
  private ScheduledFuture<?> flush;

  /**
   * @param answer encodes and answers a batch's requests (on the worker that ran them)
   * @param refuse answers a batch that the worker pool had no room for (overloaded)
   */
  Batcher(
      ModelSession session,
      int maxSize,
      long maxDelayNanos,
      Executor workers,
      ScheduledExecutorService timer,
      EdgeMetrics metrics,
      Consumer<List<InferenceCall>> answer,
      Consumer<List<InferenceCall>> refuse) {
    this.session = session;
    this.maxSize = maxSize;
    this.maxDelayNanos = maxDelayNanos;
    this.workers = workers;
    this.timer = timer;
    this.metrics = metrics;
    this.answer = answer;
    this.refuse = refuse;
  }

  /** Whether the model's signature lets requests be concatenated along the first dimension. */
  static boolean batchable(ModelSession session) {
    for (TensorSpec s : session.inputs()) {
      long[] shape = s.shape();
      if (shape.length == 0 || shape[0] != -1) {
        return false;
      }
      for (int i = 1; i < shape.length; i++) {
        if (shape[i] < 0) {
          return false;
        }
      }
    }
    return true;
  }

  /** The rows of a checked request (the first dimension all its inputs share), else -1. */
  static int rows(InferenceCodec.Request request) {
    int rows = -1;
    for (Tensor t : request.inputs()) {
      long r = t.shape()[0];
      if (r <= 0 || (rows >= 0 && r != rows)) {
        return -1;
      }
      rows = (int) r;
    }
    return rows;
  }

  /** Adds a request (on an event loop); a full batch is handed to the worker pool at once. */
  void add(InferenceCall call) {
    List<InferenceCall> ready = null;
    synchronized (this) {
      pending.add(call);
      if (pending.size() >= maxSize) {
        ready = take();
      } else if (pending.size() == 1) {
        flush = timer.schedule(this::flushNow, maxDelayNanos, TimeUnit.NANOSECONDS);
      }
    }
    if (ready != null) {
      dispatch(ready);
    }
  }

  private void flushNow() {
    List<InferenceCall> ready;
    synchronized (this) {
      ready = take();
    }
    dispatch(ready);
  }

  private List<InferenceCall> take() {
    if (flush != null) {
      flush.cancel(false);
      flush = null;
    }
    List<InferenceCall> out = pending;
    pending = new ArrayList<>(maxSize);
    return out;
  }

  private void dispatch(List<InferenceCall> batch) {
    if (batch.isEmpty()) {
      return;
    }
    try {
      workers.execute(() -> run(batch));
    } catch (RejectedExecutionException e) {
      refuse.accept(batch);
    }
  }

  /** On a worker: decodes every request, runs the batchable ones together, answers them all. */
  void run(List<InferenceCall> batch) {
    List<InferenceCall> together = new ArrayList<>(batch.size());
    for (InferenceCall c : batch) {
      try {
        c.request = InferenceCodec.decode(c.body, session);
      } catch (RuntimeException e) {
        c.failure = e;
        continue;
      }
      if (rows(c.request) > 0) {
        together.add(c);
      } else {
        runAlone(session, c, metrics);
      }
    }
    if (together.size() == 1) {
      runAlone(session, together.get(0), metrics);
    } else if (!together.isEmpty()) {
      runTogether(together);
    }
    answer.accept(batch);
  }

  /** Runs one decoded request on its own (its requested outputs only). */
  static void runAlone(ModelSession session, InferenceCall c, EdgeMetrics metrics) {
    try {
      c.outputs = session.run(c.request.inputs(), c.request.outputs());
      metrics.batch(session.id(), 1);
    } catch (Exception e) {
      c.failure = e;
    }
  }

  private void runTogether(List<InferenceCall> batch) {
    int[] rows = new int[batch.size()];
    int total = 0;
    for (int i = 0; i < rows.length; i++) {
      rows[i] = rows(batch.get(i).request);
      total += rows[i];
    }
    List<Tensor> outputs;
    try {
      List<Tensor> merged = new ArrayList<>(session.inputs().size());
      for (TensorSpec spec : session.inputs()) {
        List<Tensor> parts = new ArrayList<>(batch.size());
        for (InferenceCall c : batch) {
          parts.add(input(c.request, spec.name()));
        }
        merged.add(concat(spec, parts, total));
      }
      outputs = session.run(merged, List.of());
    } catch (Exception e) {
      for (InferenceCall c : batch) {
        c.failure = e;
      }
      return;
    }
    for (Tensor o : outputs) {
      if (o.shape().length == 0 || o.shape()[0] != total) {
        batch.forEach(c -> runAlone(session, c, metrics)); // not batch-aligned: one by one
        return;
      }
    }
    metrics.batch(session.id(), batch.size());
    int offset = 0;
    for (int i = 0; i < rows.length; i++) {
      List<Tensor> mine = new ArrayList<>(outputs.size());
      for (Tensor o : outputs) {
        mine.add(slice(o, offset, rows[i], total));
      }
      offset += rows[i];
      batch.get(i).outputs = mine;
    }
  }

  private static Tensor input(InferenceCodec.Request request, String name) {
    for (Tensor t : request.inputs()) {
      if (t.name().equals(name)) {
        return t;
      }
    }
    throw new IllegalStateException("checked request lacks input " + name);
  }

  private static Tensor concat(TensorSpec spec, List<Tensor> parts, int total) {
    long[] shape = parts.get(0).shape().clone();
    shape[0] = total;
    Object data =
        Array.newInstance(
            parts.get(0).data().getClass().getComponentType(), Tensor.elements(shape));
    int at = 0;
    for (Tensor t : parts) {
      int n = t.size();
      System.arraycopy(t.data(), 0, data, at, n);
      at += n;
    }
    return new Tensor(spec.name(), spec.datatype(), shape, data);
  }

  private static Tensor slice(Tensor t, int rowOffset, int rows, int total) {
    int perRow = t.size() / total;
    long[] shape = t.shape().clone();
    shape[0] = rows;
    Object data = Array.newInstance(t.data().getClass().getComponentType(), rows * perRow);
    System.arraycopy(t.data(), rowOffset * perRow, data, 0, rows * perRow);
    return new Tensor(t.name(), t.datatype(), shape, data);
  }
}
