package io.streamforge.serving.http;

import io.streamforge.serving.EdgeException;
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
import java.util.function.BiConsumer;

/**
 * Dynamic batching for one model version: requests arriving within {@code maxDelay} of the first
 * waiting one are concatenated along the first (batch) dimension, up to {@code maxSize} requests,
 * run once on the worker pool, and the outputs are split back by rows.
 *
 * <p>Only models whose inputs all have a variable first dimension and fixed other dimensions are
 * batched ({@link #rows}); an output whose first dimension is not the batch's row count makes the
 * batch run request by request instead, so batching never changes an answer.
 */
final class Batcher {
  /** One waiting request; {@code done} gets the outputs (all of them) or the failure. */
  record Item(InferenceCodec.Request request, int rows, BiConsumer<List<Tensor>, Throwable> done) {}

  private final ModelSession session;
  private final int maxSize;
  private final long maxDelayNanos;
  private final Executor workers;
  private final ScheduledExecutorService timer;
  private final EdgeMetrics metrics;
  private List<Item> pending = new ArrayList<>();
  private ScheduledFuture<?> flush;

  Batcher(
      ModelSession session,
      int maxSize,
      long maxDelayNanos,
      Executor workers,
      ScheduledExecutorService timer,
      EdgeMetrics metrics) {
    this.session = session;
    this.maxSize = maxSize;
    this.maxDelayNanos = maxDelayNanos;
    this.workers = workers;
    this.timer = timer;
    this.metrics = metrics;
  }

  /** The request's row count when the model can batch it, else -1. */
  static int rows(InferenceCodec.Request request, ModelSession session) {
    for (TensorSpec s : session.inputs()) {
      long[] shape = s.shape();
      if (shape.length == 0 || shape[0] != -1) {
        return -1;
      }
      for (int i = 1; i < shape.length; i++) {
        if (shape[i] < 0) {
          return -1;
        }
      }
    }
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

  void submit(Item item) {
    List<Item> ready = null;
    synchronized (this) {
      pending.add(item);
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
    List<Item> ready;
    synchronized (this) {
      ready = take();
    }
    dispatch(ready);
  }

  private List<Item> take() {
    if (flush != null) {
      flush.cancel(false);
      flush = null;
    }
    List<Item> out = pending;
    pending = new ArrayList<>();
    return out;
  }

  private void dispatch(List<Item> batch) {
    if (batch.isEmpty()) {
      return;
    }
    try {
      workers.execute(() -> run(batch));
    } catch (RejectedExecutionException e) {
      for (Item i : batch) {
        i.done().accept(null, EdgeException.unavailable("overloaded: the worker pool is full"));
      }
    }
  }

  private void run(List<Item> batch) {
    if (batch.size() == 1) {
      single(batch.get(0));
      return;
    }
    int total = 0;
    for (Item i : batch) {
      total += i.rows();
    }
    List<Tensor> outputs;
    try {
      List<Tensor> merged = new ArrayList<>();
      for (TensorSpec spec : session.inputs()) {
        List<Tensor> parts = new ArrayList<>(batch.size());
        for (Item i : batch) {
          parts.add(input(i.request(), spec.name()));
        }
        merged.add(concat(spec, parts, total));
      }
      outputs = session.run(merged, List.of());
    } catch (Exception e) {
      for (Item i : batch) {
        i.done().accept(null, e);
      }
      return;
    }
    for (Tensor o : outputs) {
      if (o.shape().length == 0 || o.shape()[0] != total) {
        batch.forEach(this::single); // not batch-aligned: answer each on its own
        return;
      }
    }
    metrics.batch(session.id(), batch.size());
    int offset = 0;
    for (Item i : batch) {
      List<Tensor> mine = new ArrayList<>(outputs.size());
      for (Tensor o : outputs) {
        mine.add(slice(o, offset, i.rows(), total));
      }
      offset += i.rows();
      i.done().accept(mine, null);
    }
  }

  private void single(Item i) {
    List<Tensor> out;
    try {
      out = session.run(i.request().inputs(), List.of());
    } catch (Exception e) {
      i.done().accept(null, e);
      return;
    }
    metrics.batch(session.id(), 1);
    i.done().accept(out, null);
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
    long[] shape = parts.get(0).shape();
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
    long[] shape = t.shape();
    shape[0] = rows;
    Object data = Array.newInstance(t.data().getClass().getComponentType(), rows * perRow);
    System.arraycopy(t.data(), rowOffset * perRow, data, 0, rows * perRow);
    return new Tensor(t.name(), t.datatype(), shape, data);
  }
}
