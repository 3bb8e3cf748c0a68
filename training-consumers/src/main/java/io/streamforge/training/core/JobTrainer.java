package io.streamforge.training.core;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.initializer.XavierInitializer;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import io.streamforge.schemas.records.ControlCommand;
import io.streamforge.schemas.records.MetricPoint;
import io.streamforge.schemas.records.TrainingJob;
import io.streamforge.schemas.records.TrainingJob.TaskType;
import io.streamforge.training.data.BatchFeed;
import io.streamforge.training.data.TensorBatch;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trains one job's MLP with DJL on a {@link BatchFeed}: standardized features, the row-hash split,
 * softmax cross-entropy (classification) or L2 on the standardized label (regression), Adam, AdamW
 * or SGD with momentum, a constant or cosine schedule, early stopping on the validation metric. The
 * model, trainer and every per-step manager are closed before {@link #train} returns; the result
 * holds plain arrays only.
 *
 * <p>Same job, same seed, same data on the CPU ⇒ the same metrics: the engine seed fixes
 * initialization and dropout, the feed fixes the batch order, and each epoch's shuffle is drawn
 * from a generator seeded by the job seed, the epoch and the batch sequence.
 */
public final class JobTrainer {
  private static final Logger log = LoggerFactory.getLogger(JobTrainer.class);
  private static final String SOURCE = "trainer";

  /** Optimizers supported. */
  public static final List<String> OPTIMIZERS = List.of("adam", "adamw", "sgd");

  /** Schedules supported. */
  public static final List<String> SCHEDULES = List.of("constant", "cosine");

  private final int prefetch;
  private final int stepMetricEvery;
  private final long metricIntervalNanos;

  public JobTrainer() {
    this(4, 10, 2_000_000_000L);
  }

  /**
   * @param prefetch batches loaded ahead of the step
   * @param stepMetricEvery sample step metrics every this many steps
   * @param metricIntervalNanos longest interval between metric batches within an epoch
   */
  public JobTrainer(int prefetch, int stepMetricEvery, long metricIntervalNanos) {
    this.prefetch = prefetch;
    this.stepMetricEvery = stepMetricEvery;
    this.metricIntervalNanos = metricIntervalNanos;
  }

  /** Checks the options the trainer itself owns; throws {@link UnusableJobException}. */
  public static void validate(TrainingJob job) {
    if (job.task() == null) {
      throw new UnusableJobException("task is missing: CLASSIFICATION or REGRESSION");
    }
    if (job.batchSize() < 1) {
      throw new UnusableJobException("batch size must be at least 1, was " + job.batchSize());
    }
    if (job.epochs() < 1) {
      throw new UnusableJobException("epochs must be at least 1, was " + job.epochs());
    }
    if (job.patience() < 0) {
      throw new UnusableJobException("patience must be 0 (none) or more, was " + job.patience());
    }
    double offset = validationOffset(job);
    if (!(offset >= 0 && offset + job.validationFraction() <= 1 + 1e-9)) {
      throw new UnusableJobException(
          "params.validation_offset must be in [0, 1 - validationFraction], was "
              + offset
              + " (validationFraction "
              + job.validationFraction()
              + ")");
    }
    if (!(job.validationFraction() > 0 && job.validationFraction() < 1)) {
      throw new UnusableJobException(
          "validation fraction must be in (0, 1), was " + job.validationFraction());
    }
    if (job.architecture() == null) {
      throw new UnusableJobException("architecture is missing");
    }
    Mlp.build(job.architecture(), 2); // checks type, activation, sizes, dropout
    TrainingJob.OptimizerSpec o = job.optimizer();
    if (o == null) {
      throw new UnusableJobException("optimizer is missing");
    }
    if (!OPTIMIZERS.contains(lower(o.name()))) {
      throw new UnusableJobException(
          "optimizer '" + o.name() + "' is not supported; supported: " + OPTIMIZERS);
    }
    if (!(o.learningRate() > 0) || Double.isInfinite(o.learningRate())) {
      throw new UnusableJobException("learning rate must be positive, was " + o.learningRate());
    }
    if (o.schedule() != null && !SCHEDULES.contains(lower(o.schedule()))) {
      throw new UnusableJobException(
          "schedule '" + o.schedule() + "' is not supported; supported: " + SCHEDULES);
    }
    String device = job.device() == null ? "auto" : lower(job.device());
    if (!List.of("auto", "cpu", "gpu").contains(device)) {
      throw new UnusableJobException(
          "device '" + job.device() + "' is not supported; supported: auto, cpu, gpu");
    }
    GivenPreprocessing.of(job); // a spec of the wrong shape fails before any data is read
  }

  private static String lower(String s) {
    return s == null ? "" : s.toLowerCase(Locale.ROOT);
  }

  /**
   * Scans the data, then trains.
   *
   * @throws UnusableJobException when the job or the data cannot train
   */
  public TrainingResult train(TrainingJob job, BatchFeed feed, TrainingListener listener) {
    return train(job, feed, listener, CheckpointStore.NONE);
  }

  /** Scans the data, then trains with checkpoints in {@code store} (resuming from its latest). */
  public TrainingResult train(
      TrainingJob job, BatchFeed feed, TrainingListener listener, CheckpointStore store) {
    validate(job);
    Preprocessing prep =
        Preprocessing.scan(
            feed,
            job.task(),
            validationOffset(job),
            job.validationFraction(),
            feed.labelColumn(),
            GivenPreprocessing.of(job).standardization());
    return train(job, feed, prep, listener, store);
  }

  /** Trains with preprocessing already computed, without checkpoints. */
  public TrainingResult train(
      TrainingJob job, BatchFeed feed, Preprocessing prep, TrainingListener listener) {
    return train(job, feed, prep, listener, CheckpointStore.NONE);
  }

  /**
   * Trains, resuming from the job's checkpoint in {@code store} when there is one, and saving a
   * checkpoint after every epoch and when a control command asks for one.
   */
  public TrainingResult train(
      TrainingJob job,
      BatchFeed feed,
      Preprocessing prep,
      TrainingListener listener,
      CheckpointStore store) {
    validate(job);
    boolean classification = job.task() == TaskType.CLASSIFICATION;
    int f = prep.featureCount();
    int outputs = classification ? prep.classCount() : 1;
    Device device = device(job.device());
    Engine engine = Engine.getEngine("PyTorch");
    engine.setRandomSeed(Long.hashCode(job.seed()));
    Checkpoint resume = store.latest(job.jobId()).map(Checkpoint::fromBytes).orElse(null);
    if (resume != null && !job.jobId().equals(resume.jobId())) {
      throw new IllegalStateException(
          "checkpoint of job " + resume.jobId() + " for " + job.jobId());
    }
    Mlp mlp = Mlp.build(job.architecture(), outputs);
    long stepsPerEpoch = Math.max(1, (prep.trainRows() + job.batchSize() - 1) / job.batchSize());
    LearningRate lr =
        new LearningRate(
            job.optimizer().learningRate(),
            lower(job.optimizer().schedule()).equals("cosine"),
            stepsPerEpoch * job.epochs());
    Metrics metrics = new Metrics(job.jobId(), listener, metricIntervalNanos);
    List<EpochSummary> history = new ArrayList<>();
    Snapshot best = null;
    byte[] bestParams = null;
    String stoppedBy = "epochs";
    long step = 0;
    int sinceBest = 0;
    int firstEpoch = 1;
    long skipRows = 0;
    if (resume != null) {
      step = resume.step();
      lr.set(resume.learningRate());
      firstEpoch = resume.nextEpoch();
      skipRows = resume.rowsDone();
      sinceBest = resume.sinceBest();
      history.addAll(resume.history());
      bestParams = resume.bestParams();
      log.info(
          "job {}: resuming from checkpoint at epoch {} (+{} rows), step {}",
          job.jobId(),
          firstEpoch,
          skipRows,
          step);
    }
    try (Model model = Model.newInstance("job-" + job.jobId(), device, "PyTorch")) {
      model.setBlock(mlp.block());
      DefaultTrainingConfig config =
          new DefaultTrainingConfig(
                  classification ? Loss.softmaxCrossEntropyLoss() : Loss.l2Loss("l2", 1.0f))
              .optOptimizer(optimizer(job.optimizer(), lr, (int) step))
              .optInitializer(new XavierInitializer(), Parameter.Type.WEIGHT)
              .optDevices(new Device[] {device});
      try (Trainer trainer = model.newTrainer(config)) {
        trainer.initialize(new Shape(1, f));
        if (resume != null) {
          if (bestParams != null) {
            load(mlp, trainer, bestParams);
            Eval val = evaluate(trainer, prep, classification, outputs);
            best =
                new Snapshot(
                    resume.bestEpoch(),
                    resume.bestScore(),
                    mlp.weights(f),
                    val.outputs,
                    resume.bestMetrics());
          }
          load(mlp, trainer, resume.params());
        }
        epochs:
        for (int epoch = firstEpoch; epoch <= job.epochs(); epoch++) {
          EpochState st = new EpochState(job.batchSize(), f);
          long t0 = System.nanoTime();
          long waitNanos = 0;
          long rowsDone = 0;
          long skip = epoch == firstEpoch ? skipRows : 0;
          try (Stream<TensorBatch> stream = feed.epoch().toStream(prefetch)) {
            Iterator<TensorBatch> it = stream.iterator();
            while (true) {
              long w0 = System.nanoTime();
              boolean more = it.hasNext();
              TensorBatch b = more ? it.next() : null;
              waitNanos += System.nanoTime() - w0;
              if (!more) {
                break;
              }
              Random rng = new Random(job.seed() * 1_000_003L + epoch * 7_919L + b.sequence());
              int[] rows = trainRows(b, prep, rng);
              for (int r : rows) {
                if (rowsDone < skip) {
                  rowsDone++;
                  continue; // consumed before the checkpoint this run resumed from
                }
                st.add(b, r, prep, classification);
                rowsDone++;
                if (st.size == job.batchSize()) {
                  step++;
                  trainStep(trainer, st, classification, outputs, metrics, lr, step, epoch);
                  st.size = 0;
                  Control c = applyControl(listener, lr, step);
                  if (c.restore) {
                    restore(job, store, mlp, trainer, lr, step);
                  }
                  if (c.checkpoint) {
                    store.save(
                        job.jobId(),
                        checkpoint(
                            job,
                            mlp,
                            epoch,
                            rowsDone,
                            step,
                            lr,
                            sinceBest,
                            best,
                            history,
                            bestParams));
                  }
                  if (c.stop != null) {
                    stoppedBy = c.stop;
                    break epochs;
                  }
                }
              }
            }
          }
          if (st.size > 0 && !(job.architecture().batchNorm() && st.size < 2)) {
            step++;
            trainStep(trainer, st, classification, outputs, metrics, lr, step, epoch);
            st.size = 0;
          }
          double seconds = (System.nanoTime() - t0) / 1e9;
          Eval val = evaluate(trainer, prep, classification, outputs);
          Map<String, Double> m = new LinkedHashMap<>();
          m.put("epoch", (double) epoch);
          m.put("train_loss", metrics.epochLoss());
          if (classification) {
            m.put("train_accuracy", metrics.epochAccuracy());
            m.put("val_loss", val.loss);
            m.put("val_accuracy", val.score);
          } else {
            m.put("val_rmse", val.score);
            m.put("val_mae", val.mae);
          }
          m.put("learning_rate", lr.current());
          m.put("samples_per_s", metrics.epochSamples() / Math.max(seconds, 1e-9));
          m.put("epoch_time_s", seconds);
          m.put("data_wait_s", waitNanos / 1e9);
          metrics.endEpoch(step, m);
          EpochSummary summary = new EpochSummary(epoch, step, Map.copyOf(m));
          history.add(summary);
          listener.epochEnd(summary);
          log.debug("job {} epoch {}: {}", job.jobId(), epoch, m);
          // without early stopping the last epoch is kept: choosing the best epoch by the
          // validation metric would tune on the validation rows and flatter the reported figure
          boolean better =
              job.patience() == 0
                  || best == null
                  || (classification ? val.score > best.score : val.score < best.score);
          boolean stop = false;
          if (better) {
            best = new Snapshot(epoch, val.score, mlp.weights(f), val.outputs, m);
            bestParams = job.patience() > 0 ? params(mlp) : null;
            sinceBest = 0;
          } else if (job.patience() > 0 && ++sinceBest >= job.patience()) {
            stoppedBy = "early-stopping";
            stop = true;
          }
          if (!stop && epoch < job.epochs()) {
            store.save(
                job.jobId(),
                checkpoint(job, mlp, epoch + 1, 0, step, lr, sinceBest, best, history, bestParams));
          }
          if (stop) {
            break;
          }
        }
        if (best == null) { // stopped before the first epoch ended
          Eval val = evaluate(trainer, prep, classification, outputs);
          best = new Snapshot(0, val.score, mlp.weights(f), val.outputs, Map.of());
        }
      }
    }
    Map<String, Double> finalMetrics = new LinkedHashMap<>(best.metrics);
    finalMetrics.put("best_epoch", (double) best.epoch);
    finalMetrics.put("epochs_run", (double) history.size());
    finalMetrics.put("train_rows", (double) prep.trainRows());
    finalMetrics.put("val_rows", (double) prep.valRows());
    if (resume != null) {
      finalMetrics.put("resumed_at_epoch", (double) resume.nextEpoch());
    }
    return new TrainingResult(
        best.weights,
        prep,
        Map.copyOf(finalMetrics),
        List.copyOf(history),
        best.outputs,
        stoppedBy);
  }

  private static byte[] checkpoint(
      TrainingJob job,
      Mlp mlp,
      int nextEpoch,
      long rowsDone,
      long step,
      LearningRate lr,
      int sinceBest,
      Snapshot best,
      List<EpochSummary> history,
      byte[] bestParams) {
    return new Checkpoint(
            job.jobId(),
            nextEpoch,
            rowsDone,
            step,
            lr.base(),
            sinceBest,
            best == null ? 0 : best.epoch,
            best == null ? Double.NaN : best.score,
            best == null ? Map.of() : best.metrics,
            List.copyOf(history),
            params(mlp),
            bestParams)
        .toBytes();
  }

  /** Every parameter's values, by name in block order (batch-norm statistics included). */
  private static byte[] params(Mlp mlp) {
    try {
      java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
      java.io.DataOutputStream out = new java.io.DataOutputStream(bytes);
      var params = mlp.block().getParameters();
      out.writeInt(params.size());
      for (var pair : params) {
        float[] v = pair.getValue().getArray().toFloatArray();
        out.writeUTF(pair.getKey());
        out.writeInt(v.length);
        for (float x : v) {
          out.writeFloat(x);
        }
      }
      out.flush();
      return bytes.toByteArray();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /**
   * Writes saved values into the live parameter arrays, in place: the trainer's parameter store and
   * the optimizer hold those arrays, so replacing them (as {@code Block.loadParameters} does) would
   * leave training on the old ones.
   */
  private static void load(Mlp mlp, Trainer trainer, byte[] saved) {
    try (java.io.DataInputStream in =
            new java.io.DataInputStream(new java.io.ByteArrayInputStream(saved));
        NDManager m = trainer.getManager().newSubManager()) {
      var params = mlp.block().getParameters();
      int n = in.readInt();
      if (n != params.size()) {
        throw new IllegalStateException(
            "checkpoint holds " + n + " parameters, the network " + params.size());
      }
      for (var pair : params) {
        String name = in.readUTF();
        float[] v = new float[in.readInt()];
        for (int i = 0; i < v.length; i++) {
          v[i] = in.readFloat();
        }
        NDArray live = pair.getValue().getArray();
        if (!name.equals(pair.getKey()) || live.size() != v.length) {
          throw new IllegalStateException(
              "checkpoint parameter " + name + " does not fit " + pair.getKey());
        }
        // a detached view shares the storage and may be written in place whatever the grad mode
        try (NDArray view = live.stopGradient()) {
          view.muli(0).addi(m.create(v, live.getShape()));
        }
      }
    } catch (java.io.IOException e) {
      throw new IllegalStateException("unreadable checkpoint parameters: " + e.getMessage(), e);
    }
  }

  private record Snapshot(
      int epoch,
      double score,
      NetworkWeights weights,
      float[] outputs,
      Map<String, Double> metrics) {}

  private static Device device(String preference) {
    String p = lower(preference);
    boolean gpu = Engine.getEngine("PyTorch").getGpuCount() > 0;
    if (p.equals("gpu") && !gpu) {
      log.warn("job asks for a GPU but none is present: training on the CPU");
    }
    return (p.equals("gpu") || p.equals("auto") || p.isEmpty()) && gpu
        ? Device.gpu()
        : Device.cpu();
  }

  private static Optimizer optimizer(TrainingJob.OptimizerSpec spec, LearningRate lr, int begin) {
    float wd = (float) spec.weightDecay();
    return switch (lower(spec.name())) {
      case "adam" ->
          Optimizer.adam()
              .optLearningRateTracker(lr)
              .optWeightDecays(wd)
              .optBeginNumUpdate(begin)
              .build();
      case "adamw" ->
          Optimizer.adamW()
              .optLearningRateTracker(lr)
              .optWeightDecays(wd)
              .optBeginNumUpdate(begin)
              .build();
      case "sgd" ->
          Optimizer.sgd()
              .setLearningRateTracker(lr)
              .optMomentum((float) (spec.momentum() > 0 ? spec.momentum() : 0.9))
              .optWeightDecays(wd)
              .optBeginNumUpdate(begin)
              .build();
      default -> throw new UnusableJobException("optimizer '" + spec.name() + "' is not supported");
    };
  }

  /** The batch's training rows, shuffled. */
  private static int[] trainRows(TensorBatch b, Preprocessing prep, Random rng) {
    return prep.split().shuffledTrainingRows(b.x(), b.y(), b.features(), rng);
  }

  private static void trainStep(
      Trainer trainer,
      EpochState st,
      boolean classification,
      int outputs,
      Metrics metrics,
      LearningRate lr,
      long step,
      int epoch) {
    int n = st.size;
    try (NDManager m = trainer.getManager().newSubManager()) {
      NDArray x =
          m.create(java.util.Arrays.copyOf(st.x, n * st.features), new Shape(n, st.features));
      NDArray y =
          classification
              ? m.create(toLong(st.y, n), new Shape(n))
              : m.create(java.util.Arrays.copyOf(st.y, n), new Shape(n, 1));
      float loss;
      int correct = 0;
      GradientCollection.LOCK.lock(); // one collector per JVM: concurrent jobs take turns
      try (GradientCollector gc = trainer.newGradientCollector()) {
        NDList pred = trainer.forward(new NDList(x));
        NDArray l = trainer.getLoss().evaluate(new NDList(y), pred);
        gc.backward(l);
        loss = l.getFloat();
        if (classification) {
          long[] arg = pred.singletonOrThrow().argMax(1).toLongArray();
          for (int i = 0; i < n; i++) {
            if (arg[i] == (long) st.y[i]) {
              correct++;
            }
          }
        }
      } finally {
        GradientCollection.LOCK.unlock();
      }
      trainer.step();
      if (!Float.isFinite(loss)) {
        throw new TrainingDivergedException(
            "loss became "
                + loss
                + " at step "
                + step
                + " (epoch "
                + epoch
                + "); lower the learning rate");
      }
      metrics.step(step, epoch, loss, n, correct, lr.current());
    }
  }

  private static long[] toLong(float[] y, int n) {
    long[] out = new long[n];
    for (int i = 0; i < n; i++) {
      out[i] = (long) y[i];
    }
    return out;
  }

  private record Eval(double loss, double score, double mae, float[] outputs) {}

  private static Eval evaluate(
      Trainer trainer, Preprocessing prep, boolean classification, int outputs) {
    int n = prep.valRows();
    int f = prep.featureCount();
    float[] x = prep.standardize(prep.valX());
    try (NDManager m = trainer.getManager().newSubManager()) {
      NDArray in = m.create(x, new Shape(n, f));
      NDArray out = trainer.evaluate(new NDList(in)).singletonOrThrow();
      if (classification) {
        NDArray probs = out.softmax(1);
        float[] p = probs.toFloatArray();
        double loss = 0;
        int correct = 0;
        for (int i = 0; i < n; i++) {
          int label = prep.classIndex(prep.valY()[i]);
          int arg = 0;
          for (int c = 1; c < outputs; c++) {
            if (p[i * outputs + c] > p[i * outputs + arg]) {
              arg = c;
            }
          }
          if (arg == label) {
            correct++;
          }
          loss -= Math.log(Math.max(p[i * outputs + label], 1e-12));
        }
        return new Eval(loss / n, (double) correct / n, 0, p);
      }
      float[] z = out.toFloatArray();
      float[] pred = new float[n];
      double se = 0;
      double ae = 0;
      for (int i = 0; i < n; i++) {
        pred[i] = (float) (z[i] * prep.labelStd() + prep.labelMean());
        double d = pred[i] - prep.valY()[i];
        se += d * d;
        ae += Math.abs(d);
      }
      return new Eval(se / n, Math.sqrt(se / n), ae / n, pred);
    }
  }

  /** What the control commands since the last step ask for. */
  private record Control(String stop, boolean checkpoint, boolean restore) {}

  private static Control applyControl(TrainingListener listener, LearningRate lr, long step) {
    String stop = null;
    boolean checkpoint = false;
    boolean restore = false;
    for (ControlCommand c : listener.pollControl()) {
      switch (c.action()) {
        case STOP -> {
          log.info("job {} stopped by control at step {}: {}", c.jobId(), step, c.reason());
          stop = "control";
        }
        case SET_LEARNING_RATE -> {
          if (c.value() != null && c.value() > 0 && Double.isFinite(c.value())) {
            lr.set(c.value());
            log.info("job {}: learning rate set to {} at step {}", c.jobId(), c.value(), step);
          } else {
            log.warn("job {}: ignored learning rate {}", c.jobId(), c.value());
          }
        }
        case CHECKPOINT -> checkpoint = true;
        case RESTORE_CHECKPOINT -> restore = true;
      }
    }
    return new Control(stop, checkpoint, restore);
  }

  /**
   * Puts the latest checkpoint's parameters and learning rate back (e.g. after a divergence); the
   * data position and the step count go on.
   */
  private static void restore(
      TrainingJob job,
      CheckpointStore store,
      Mlp mlp,
      Trainer trainer,
      LearningRate lr,
      long step) {
    var saved = store.latest(job.jobId());
    if (saved.isEmpty()) {
      log.warn("job {}: no checkpoint to restore at step {}; going on", job.jobId(), step);
      return;
    }
    Checkpoint c = Checkpoint.fromBytes(saved.get());
    load(mlp, trainer, c.params());
    lr.set(c.learningRate());
    log.info(
        "job {}: restored the checkpoint of epoch {} (step {}) at step {}",
        job.jobId(),
        c.nextEpoch(),
        c.step(),
        step);
  }

  /** Rows gathered for the next step, standardized. */
  private static final class EpochState {
    final float[] x;
    final float[] y;
    final int features;
    int size;

    EpochState(int batch, int features) {
      this.x = new float[batch * features];
      this.y = new float[batch];
      this.features = features;
    }

    void add(TensorBatch b, int r, Preprocessing prep, boolean classification) {
      for (int j = 0; j < features; j++) {
        x[size * features + j] =
            (float) ((b.x()[r * features + j] - prep.mean()[j]) / prep.std()[j]);
      }
      float label = b.y()[r];
      if (classification) {
        int c = prep.classIndex(label);
        if (c < 0) {
          throw new UnusableJobException(
              "label value " + label + " was not seen when the classes were counted");
        }
        y[size] = c;
      } else {
        y[size] = (float) ((label - prep.labelMean()) / prep.labelStd());
      }
      size++;
    }
  }

  /** The learning rate: the job's base rate, an optional cosine decay, and control overrides. */
  static final class LearningRate implements Tracker {
    private volatile double base;
    private final boolean cosine;
    private final long totalSteps;
    private volatile float current;

    LearningRate(double base, boolean cosine, long totalSteps) {
      this.base = base;
      this.cosine = cosine;
      this.totalSteps = Math.max(1, totalSteps);
      this.current = (float) base;
    }

    void set(double value) {
      base = value;
      current = (float) value;
    }

    double base() {
      return base;
    }

    double current() {
      return current;
    }

    @Override
    public float getNewValue(int numUpdate) {
      double v = base;
      if (cosine) {
        double t = Math.min(1.0, (double) numUpdate / totalSteps);
        v = base * 0.5 * (1 + Math.cos(Math.PI * t));
      }
      current = (float) v;
      return current;
    }
  }

  /** Collects metric points and hands them to the listener one interval at a time. */
  private final class Metrics {
    private final String run;
    private final TrainingListener listener;
    private final long interval;
    private final List<MetricPoint> pending = new ArrayList<>();
    private long lastFlush = System.nanoTime();
    private double lossSum;
    private long samples;
    private long correct;

    Metrics(String run, TrainingListener listener, long interval) {
      this.run = run;
      this.listener = listener;
      this.interval = interval;
    }

    void step(long step, int epoch, float loss, int n, int right, double lr) {
      lossSum += (double) loss * n;
      samples += n;
      correct += right;
      if (step % stepMetricEvery == 0) {
        Map<String, String> labels = Map.of("scope", "step", "epoch", Integer.toString(epoch));
        Instant now = Instant.now();
        pending.add(new MetricPoint(SOURCE, run, step, "loss", loss, now, labels));
        pending.add(new MetricPoint(SOURCE, run, step, "learning_rate", lr, now, labels));
      }
      if (System.nanoTime() - lastFlush > interval) {
        flush();
      }
    }

    double epochLoss() {
      return samples == 0 ? Double.NaN : lossSum / samples;
    }

    double epochAccuracy() {
      return samples == 0 ? Double.NaN : (double) correct / samples;
    }

    long epochSamples() {
      return samples;
    }

    void endEpoch(long step, Map<String, Double> m) {
      Instant now = Instant.now();
      Map<String, String> labels = Map.of("scope", "epoch");
      m.forEach((k, v) -> pending.add(new MetricPoint(SOURCE, run, step, k, v, now, labels)));
      flush();
      lossSum = 0;
      samples = 0;
      correct = 0;
    }

    private void flush() {
      if (!pending.isEmpty()) {
        listener.metrics(List.copyOf(pending));
        pending.clear();
      }
      lastFlush = System.nanoTime();
    }
  }

  /**
   * Where the job's validation window starts in the row-hash range: {@code
   * params.validation_offset} (fold {@code i} of {@code k} is {@code i/k} with {@code
   * validationFraction} {@code 1/k}), 0 for the usual holdout.
   *
   * @throws UnusableJobException when it is not a number
   */
  public static double validationOffset(TrainingJob job) {
    String v = job.params() == null ? null : job.params().get("validation_offset");
    if (v == null || v.isBlank()) {
      return 0;
    }
    try {
      return Double.parseDouble(v.trim());
    } catch (NumberFormatException e) {
      throw new UnusableJobException("params.validation_offset is not a number: '" + v + "'");
    }
  }
}
