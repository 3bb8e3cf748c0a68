package io.streamforge.serving.model;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One loaded model version: an ONNX Runtime session with its validated signature, reference-counted
 * so that a swap closes it only once the requests running on it have finished.
 *
 * <p>The owner (the repository) holds one reference from {@link #load}; a request takes one with
 * {@link #acquire()} and gives it back with {@link #release()}. {@link #retire()} drops the owner's
 * reference: new acquires fail from then on, and the session closes when the last request releases
 * it.
 */
public final class ModelSession {
  private static final Logger log = LoggerFactory.getLogger(ModelSession.class);

  private final ModelId id;
  private final String sha256;
  private final OrtEnvironment env;
  private final OrtSession session;
  private final List<TensorSpec> inputs;
  private final List<TensorSpec> outputs;
  private volatile long loadMillis;
  private final AtomicInteger refs = new AtomicInteger(1);
  private final AtomicBoolean retired = new AtomicBoolean();
  private final List<Runnable> whenClosed = new java.util.concurrent.CopyOnWriteArrayList<>();
  private volatile boolean closed;

  private ModelSession(
      ModelId id,
      String sha256,
      OrtEnvironment env,
      OrtSession session,
      List<TensorSpec> inputs,
      List<TensorSpec> outputs,
      long startNanos) {
    this.id = id;
    this.sha256 = sha256;
    this.env = env;
    this.session = session;
    this.inputs = List.copyOf(inputs);
    this.outputs = List.copyOf(outputs);
    this.loadMillis = (System.nanoTime() - startNanos) / 1_000_000;
  }

  /**
   * Loads ONNX bytes, validates the signature (tensor inputs and outputs of supported datatypes,
   * and, when {@code expected} is given, the same inputs and outputs), and warms the session up
   * with one inference on zeros.
   *
   * @param expected the signature the new version must keep (the served version's), or null
   * @throws ModelLoadException naming the version and what is wrong; nothing stays open
   */
  public static ModelSession load(
      ModelId id, byte[] onnx, String sha256, int intraOpThreads, ModelSession expected)
      throws ModelLoadException {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(onnx, "onnx");
    long t0 = System.nanoTime();
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    OrtSession session;
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.setIntraOpNumThreads(Math.max(1, intraOpThreads));
      options.setInterOpNumThreads(1);
      options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
      // The edge's parallelism comes from concurrent requests on the worker pool: intra-op threads
      // that spin while waiting for work would burn the cores those requests need.
      options.addConfigEntry("session.intra_op.allow_spinning", "0");
      options.addConfigEntry("session.inter_op.allow_spinning", "0");
      session = env.createSession(onnx, options);
    } catch (OrtException e) {
      throw new ModelLoadException(id + " cannot be loaded: " + e.getMessage(), e);
    }
    try {
      List<TensorSpec> in = specs(id, "input", session.getInputInfo());
      List<TensorSpec> out = specs(id, "output", session.getOutputInfo());
      if (in.isEmpty() || out.isEmpty()) {
        throw new ModelLoadException(id + " has no inputs or no outputs");
      }
      if (expected != null) {
        checkSame(id, "inputs", in, expected.inputs);
        checkSame(id, "outputs", out, expected.outputs);
      }
      ModelSession loaded = new ModelSession(id, sha256, env, session, in, out, t0);
      loaded.warmUp();
      loaded.loadMillis = (System.nanoTime() - t0) / 1_000_000;
      return loaded;
    } catch (ModelLoadException e) {
      closeQuietly(session);
      throw e;
    } catch (OrtException | RuntimeException e) {
      closeQuietly(session);
      throw new ModelLoadException(id + " failed its warm-up: " + e.getMessage(), e);
    }
  }

  private static void checkSame(
      ModelId id, String what, List<TensorSpec> actual, List<TensorSpec> expected)
      throws ModelLoadException {
    if (!new LinkedHashSet<>(actual).equals(new LinkedHashSet<>(expected))) {
      throw new ModelLoadException(
          id
              + " changes the "
              + what
              + " of the served version: "
              + actual
              + " instead of "
              + expected);
    }
  }

  private static List<TensorSpec> specs(ModelId id, String kind, Map<String, NodeInfo> infos)
      throws ModelLoadException {
    List<TensorSpec> out = new ArrayList<>();
    for (NodeInfo n : infos.values()) {
      if (!(n.getInfo() instanceof TensorInfo t)) {
        throw new ModelLoadException(
            id + ": " + kind + " " + n.getName() + " is not a tensor (" + n.getInfo() + ")");
      }
      DataType type =
          DataType.ofOnnx(t.onnxType)
              .orElseThrow(
                  () ->
                      new ModelLoadException(
                          id
                              + ": "
                              + kind
                              + " "
                              + n.getName()
                              + " has element type "
                              + t.onnxType
                              + ", which the edge does not serve"));
      out.add(new TensorSpec(n.getName(), type, t.getShape()));
    }
    return out;
  }

  private void warmUp() throws OrtException {
    List<Tensor> zeros = new ArrayList<>();
    for (TensorSpec s : inputs) {
      long[] shape = s.shape();
      for (int i = 0; i < shape.length; i++) {
        shape[i] = shape[i] < 0 ? 1 : shape[i];
      }
      zeros.add(
          new Tensor(s.name(), s.datatype(), shape, zeros(s.datatype(), Tensor.elements(shape))));
    }
    List<Tensor> result = run(zeros, List.of());
    if (result.size() != outputs.size()) {
      throw new IllegalStateException("warm-up returned " + result.size() + " outputs");
    }
  }

  private static Object zeros(DataType type, int n) {
    return switch (type) {
      case BOOL -> new boolean[n];
      case INT32 -> new int[n];
      case INT64 -> new long[n];
      case FP32 -> new float[n];
      case FP64 -> new double[n];
      case BYTES -> {
        String[] a = new String[n];
        java.util.Arrays.fill(a, "");
        yield a;
      }
    };
  }

  /** Takes a reference for one request; false once the session is retired. */
  public boolean acquire() {
    while (true) {
      int c = refs.get();
      if (c <= 0) {
        return false;
      }
      if (refs.compareAndSet(c, c + 1)) {
        return true;
      }
    }
  }

  /** Gives back a reference from {@link #acquire()}; the last one closes a retired session. */
  public void release() {
    if (refs.decrementAndGet() == 0) {
      closeNow();
    }
  }

  /** Drops the owner's reference: the session closes once every running request has released. */
  public void retire() {
    if (retired.compareAndSet(false, true)) {
      release();
    }
  }

  public boolean isRetired() {
    return retired.get();
  }

  /**
   * Whether the session is closed: no request can run on it any more. Its native resources are
   * released right after, on a thread of their own.
   */
  public boolean isClosed() {
    return closed;
  }

  /**
   * Releases native sessions off the request path: the last release of a retired session happens on
   * the worker that answered its last request, and freeing a session's memory takes milliseconds
   * now and then, which the requests queued behind that worker would wait for. The thread runs at
   * idle priority ({@link IdlePriority}): freeing memory is never urgent.
   */
  private static final java.util.concurrent.ExecutorService CLOSER =
      java.util.concurrent.Executors.newSingleThreadExecutor(
          r -> {
            Thread t =
                new Thread(
                    () -> {
                      IdlePriority.applyToCurrentThread();
                      r.run();
                    },
                    "edge-session-closer");
            t.setDaemon(true);
            return t;
          });

  private void closeNow() {
    closed = true;
    Runnable close =
        () -> {
          closeQuietly(session);
          log.info("closed {}", id);
          for (Runnable r : whenClosed) {
            try {
              r.run();
            } catch (RuntimeException e) {
              log.warn("{}: an action after closing failed: {}", id, e.toString());
            }
          }
        };
    try {
      CLOSER.execute(close);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      close.run();
    }
  }

  /**
   * Runs {@code action} once this session has closed (its last request released after it was
   * retired), on the thread that frees sessions.
   */
  public void whenClosed(Runnable action) {
    whenClosed.add(action);
  }

  private static void closeQuietly(OrtSession s) {
    try {
      s.close();
    } catch (OrtException e) {
      log.warn("closing a session failed: {}", e.getMessage());
    }
  }

  public ModelId id() {
    return id;
  }

  public String sha256() {
    return sha256;
  }

  public List<TensorSpec> inputs() {
    return inputs;
  }

  public List<TensorSpec> outputs() {
    return outputs;
  }

  /** Time to load, validate and warm up. */
  public long loadMillis() {
    return loadMillis;
  }

  /**
   * Runs the model. The caller holds a reference ({@link #acquire()}) and has checked the inputs
   * against {@link #inputs()}.
   *
   * @param requested output names to return, in that order; empty for all outputs
   */
  public List<Tensor> run(List<Tensor> in, List<String> requested) throws OrtException {
    if (closed) {
      throw new IllegalStateException(id + " is closed");
    }
    Map<String, OnnxTensor> feed = new LinkedHashMap<>();
    try {
      int index = 0;
      for (Tensor t : in) {
        feed.put(t.name(), toOnnx(env, t, index++));
      }
      List<String> names = new ArrayList<>();
      if (requested.isEmpty()) {
        outputs.forEach(o -> names.add(o.name()));
      } else {
        names.addAll(requested);
      }
      List<Tensor> out = new ArrayList<>(names.size());
      try (OrtSession.Result result = session.run(feed, new LinkedHashSet<>(names))) {
        for (String name : names) {
          OnnxValue v = result.get(name).orElseThrow();
          out.add(fromOnnx(name, (OnnxTensor) v));
        }
      }
      return out;
    } finally {
      feed.values().forEach(OnnxTensor::close);
    }
  }

  /**
   * Per worker thread, direct buffers that input tensors are copied into: ONNX Runtime reads a
   * direct buffer in place, while a heap array would be copied into a fresh direct buffer (an
   * allocation and a cleaner per request). A buffer is reused only after the tensor over it is
   * closed, which {@link #run} does before it returns, on the same thread.
   */
  private static final ThreadLocal<DirectBuffers> DIRECT =
      ThreadLocal.withInitial(DirectBuffers::new);

  /** Grown on demand, one per input position; inputs over {@link #MAX_BYTES} are not pooled. */
  private static final class DirectBuffers {
    static final int MAX_BYTES = 1 << 20;
    private ByteBuffer[] buffers = new ByteBuffer[4];

    /** A direct buffer of exactly {@code bytes} bytes for input {@code index}, or null. */
    ByteBuffer get(int index, int bytes) {
      if (bytes > MAX_BYTES) {
        return null;
      }
      if (index >= buffers.length) {
        buffers = java.util.Arrays.copyOf(buffers, index + 1);
      }
      ByteBuffer b = buffers[index];
      if (b == null || b.capacity() < bytes) {
        b = ByteBuffer.allocateDirect(Math.max(bytes, 256)).order(ByteOrder.nativeOrder());
        buffers[index] = b;
      }
      b.clear().limit(bytes);
      return b;
    }
  }

  private static OnnxTensor toOnnx(OrtEnvironment env, Tensor t, int index) throws OrtException {
    long[] shape = t.shape();
    return switch (t.datatype()) {
      case FP32 -> {
        float[] a = (float[]) t.data();
        ByteBuffer direct = DIRECT.get().get(index, a.length * Float.BYTES);
        if (direct == null) {
          yield OnnxTensor.createTensor(env, FloatBuffer.wrap(a), shape);
        }
        FloatBuffer f = direct.asFloatBuffer();
        f.put(a).flip();
        yield OnnxTensor.createTensor(env, f, shape);
      }
      case FP64 -> OnnxTensor.createTensor(env, DoubleBuffer.wrap((double[]) t.data()), shape);
      case INT64 -> OnnxTensor.createTensor(env, LongBuffer.wrap((long[]) t.data()), shape);
      case INT32 -> OnnxTensor.createTensor(env, IntBuffer.wrap((int[]) t.data()), shape);
      case BOOL -> {
        boolean[] b = (boolean[]) t.data();
        ByteBuffer bytes = ByteBuffer.allocateDirect(b.length).order(ByteOrder.nativeOrder());
        for (boolean x : b) {
          bytes.put((byte) (x ? 1 : 0));
        }
        bytes.flip();
        yield OnnxTensor.createTensor(env, bytes, shape, OnnxJavaType.BOOL);
      }
      case BYTES -> OnnxTensor.createTensor(env, (String[]) t.data(), shape);
    };
  }

  private static Tensor fromOnnx(String name, OnnxTensor v) throws OrtException {
    TensorInfo info = v.getInfo();
    long[] shape = info.getShape();
    DataType type =
        DataType.ofOnnx(info.onnxType)
            .orElseThrow(() -> new IllegalStateException(name + ": " + info.onnxType));
    Object data =
        switch (type) {
          case FP32 -> {
            FloatBuffer b = v.getFloatBuffer(); // a fresh heap copy: take its array as it is
            if (b.hasArray() && b.arrayOffset() == 0 && b.array().length == b.remaining()) {
              yield b.array();
            }
            float[] a = new float[b.remaining()];
            b.get(a);
            yield a;
          }
          case FP64 -> {
            DoubleBuffer b = v.getDoubleBuffer();
            double[] a = new double[b.remaining()];
            b.get(a);
            yield a;
          }
          case INT64 -> {
            LongBuffer b = v.getLongBuffer();
            long[] a = new long[b.remaining()];
            b.get(a);
            yield a;
          }
          case INT32 -> {
            IntBuffer b = v.getIntBuffer();
            int[] a = new int[b.remaining()];
            b.get(a);
            yield a;
          }
          case BOOL -> {
            ByteBuffer b = v.getByteBuffer();
            boolean[] a = new boolean[b.remaining()];
            for (int i = 0; i < a.length; i++) {
              a[i] = b.get() != 0;
            }
            yield a;
          }
          case BYTES -> {
            String[] a = new String[Tensor.elements(shape)];
            flattenStrings(v.getValue(), a, 0);
            yield a;
          }
        };
    return new Tensor(name, type, shape, data);
  }

  /** Copies a string tensor's value (a String or nested String arrays) in row-major order. */
  private static int flattenStrings(Object value, String[] out, int at) {
    if (value instanceof String s) {
      out[at] = s;
      return at + 1;
    }
    if (value instanceof String[] a) {
      System.arraycopy(a, 0, out, at, a.length);
      return at + a.length;
    }
    for (Object o : (Object[]) value) {
      at = flattenStrings(o, out, at);
    }
    return at;
  }

  @Override
  public String toString() {
    return id.toString();
  }
}
