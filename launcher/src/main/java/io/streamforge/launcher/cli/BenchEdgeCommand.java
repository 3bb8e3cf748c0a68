package io.streamforge.launcher.cli;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.streamforge.arrowio.dataset.KafkaClients;
import io.streamforge.arrowio.models.ModelArtifacts;
import io.streamforge.launcher.UserException;
import io.streamforge.launcher.broker.EmbeddedBroker;
import io.streamforge.schemas.TopicAdmin;
import io.streamforge.schemas.Topics;
import io.streamforge.schemas.records.ModelEvent;
import io.streamforge.serving.Edge;
import io.streamforge.serving.EdgeConfig;
import io.streamforge.training.core.NetworkWeights;
import io.streamforge.training.core.Preprocessing;
import io.streamforge.training.onnx.OnnxExporter;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code streamforge bench edge}: the inference edge under load from wrk (keep-alive), against ONNX
 * Runtime called in-process in the same JVM in the same run; batching on and off; p99 during
 * continuous swaps; time from a registry event to traffic on a 10 MB model.
 */
@Command(
    name = "edge",
    mixinStandardHelpOptions = true,
    description = {
      "Benchmarks the inference edge with wrk (Debian package 'wrk') against ONNX Runtime"
          + " in-process, in one run: throughput and p50/p99 at each concurrency, dynamic"
          + " batching, p99 during continuous hot swaps, and registry-event-to-traffic time for a"
          + " 10 MB model over an embedded broker."
    })
public final class BenchEdgeCommand implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(BenchEdgeCommand.class);
  private static final String MODEL = "bench";

  @Option(
      names = "--duration",
      defaultValue = "10",
      description = "Seconds per measurement (default ${DEFAULT-VALUE}).")
  int duration;

  @Option(
      names = "--concurrency",
      split = ",",
      defaultValue = "1,8,64",
      description = "Concurrent connections / threads (default ${DEFAULT-VALUE}).")
  List<Integer> concurrency;

  @Option(
      names = "--features",
      defaultValue = "64",
      description = "Model inputs (default ${DEFAULT-VALUE}).")
  int features;

  @Option(
      names = "--hidden",
      split = ",",
      defaultValue = "256,256",
      description = "Hidden layer sizes (default ${DEFAULT-VALUE}).")
  List<Integer> hidden;

  @Option(
      names = "--classes",
      defaultValue = "10",
      description = "Classes (default ${DEFAULT-VALUE}).")
  int classes;

  @Option(
      names = "--batch-size",
      defaultValue = "32",
      description = "Dynamic batching: largest batch (default ${DEFAULT-VALUE}).")
  int batchSize;

  @Option(
      names = "--batch-delay-ms",
      defaultValue = "2",
      description = "Dynamic batching: longest wait (default ${DEFAULT-VALUE}).")
  long batchDelayMs;

  @Option(
      names = "--second-model",
      split = ",",
      defaultValue = "784,512,256,10",
      description = {
        "A second, larger MLP measured at the largest concurrency only, in-process, on the edge and"
            + " with batching, so that inference is a bigger share of a request (features, hidden"
            + " sizes, classes; default ${DEFAULT-VALUE}; 0 to skip). Its rows are labelled with its"
            + " layer sizes; the main figures stay those of the first model."
      })
  List<Integer> secondModel;

  @Option(
      names = "--swap-every-ms",
      defaultValue = "250",
      description = "Interval between swaps in the swap run (default ${DEFAULT-VALUE}).")
  long swapEveryMs;

  @Option(
      names = "--spare-core",
      description = {
        "In the swap measurement, keep the last CPU for the edge's model loads: the request threads"
            + " and wrk are pinned to the other CPUs (Linux; needs taskset and 2 CPUs or more)."
      })
  boolean spareCore;

  /** The CPUs wrk runs on ({@code taskset -c}), or null for any. */
  private String wrkCpus;

  /**
   * One load measurement; {@code cpuMicros} is the CPU time this JVM (the edge, or the in-process
   * threads) spent per request or row, which other load on the machine distorts far less than the
   * throughput.
   */
  record Load(
      String name,
      int concurrency,
      double requestsPerSecond,
      double p50Ms,
      double p99Ms,
      double cpuMicros,
      LatencyTail tail) {
    Load(
        String name,
        int concurrency,
        double requestsPerSecond,
        double p50Ms,
        double p99Ms,
        double cpuMicros) {
      this(name, concurrency, requestsPerSecond, p50Ms, p99Ms, cpuMicros, null);
    }
  }

  /** CPU time of this process so far, in nanoseconds. */
  private static long cpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean)
            java.lang.management.ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  @Override
  public Integer call() throws Exception {
    requireWrk();
    if (spareCore) {
      requireSpareCore();
    }
    log.info(
        "configuration: duration={}s, concurrency={}, model {}-{}-{}, batching {}x{}ms, swap every"
            + " {}ms, spare core for loads {}",
        duration,
        concurrency,
        features,
        hidden,
        classes,
        batchSize,
        batchDelayMs,
        swapEveryMs,
        spareCore ? "CPU " + loadCpu() : "no");
    byte[] model = mlp(features, hidden, classes, 1);
    List<Load> loads = new ArrayList<>();
    Path body = Files.createTempFile("streamforge-bench-", ".json");
    Path script = Files.createTempFile("streamforge-bench-", ".lua");
    try {
      Files.writeString(body, requestBody(features));
      Files.writeString(script, script(body));

      for (int c : concurrency) {
        loads.add(inProcess(model, features, c));
      }
      try (Edge edge = Edge.start(sized(EdgeConfig.defaults().withHttpPort(0)), null, null)) {
        edge.deploy(MODEL, 1, model, true);
        wrk("warm-up", edge.port(), 8, script, 3);
        for (int c : concurrency) {
          loads.add(wrk("edge", edge.port(), c, script, duration));
        }
        // Continuous swaps under load at the middle concurrency.
        int c = concurrency.get(concurrency.size() / 2);
        // The versions are built before the runs (and reused in turn under new version numbers):
        // the edge's swap is measured, not the making of random weights and their ONNX export.
        List<byte[]> versions = new ArrayList<>();
        for (long k = 0; k < 40; k++) {
          versions.add(mlp(features, hidden, classes, k + 2));
        }
        Swapper swapper = new Swapper(edge, versions, swapEveryMs, this::pinSwapper);
        if (spareCore) {
          wrkCpus = ThreadPinning.list(0, loadCpu() - 1);
          pinForSwaps();
        }
        // The first swaps of a process make the JIT deoptimize and recompile the request path
        // (the route-again branch, retirement, new metric series). A long-running edge has paid
        // that after its first swaps, so it is paid here before the measured rounds.
        swapper.during(
            () -> wrk("warm-up, swapping", edge.port(), c, script, SWAP_WARM_UP_SECONDS));
        // Short steady and swapping windows alternate, so that drifts of the machine's speed fall
        // on both alike; each row is the median of its windows, and the p99 ratio pools all the
        // requests of each kind of window.
        int window = Math.max(2, duration / 2);
        List<Load> steadyRuns = new ArrayList<>();
        List<Load> swapRuns = new ArrayList<>();
        for (int round = 1; round <= SWAP_ROUNDS; round++) {
          pinForSwaps();
          steadyRuns.add(wrk("edge steady #" + round, edge.port(), c, script, window));
          String name = "edge during swaps #" + round;
          swapRuns.add(swapper.during(() -> wrk(name, edge.port(), c, script, window)));
        }
        loads.add(median("edge steady", steadyRuns));
        loads.add(median("edge during swaps", swapRuns));
        swapRatios = new ArrayList<>();
        for (int i = 0; i < SWAP_ROUNDS; i++) {
          swapRatios.add(swapRuns.get(i).p99Ms() / steadyRuns.get(i).p99Ms());
        }
        steadyTails = steadyRuns.stream().map(Load::tail).toList();
        swapTails = swapRuns.stream().map(Load::tail).toList();
        log.info("{} swaps in the swapping runs", swapper.swaps());
        System.out.printf("swaps in the swapping runs (warm-up included): %d%n", swapper.swaps());
      } finally {
        wrkCpus = null;
      }
      try (Edge edge =
          Edge.start(
              sized(
                  EdgeConfig.defaults()
                      .withHttpPort(0)
                      .withBatching(batchSize, Duration.ofMillis(batchDelayMs))),
              null,
              null)) {
        edge.deploy(MODEL, 1, model, true);
        wrk("warm-up", edge.port(), 8, script, 3);
        int c = concurrency.get(concurrency.size() - 1);
        loads.add(wrk("edge batching", edge.port(), c, script, duration));
      }
    } finally {
      Files.deleteIfExists(body);
      Files.deleteIfExists(script);
    }
    if (secondModel.size() >= 3) {
      loads.addAll(second());
    }
    print(loads, System.out);
    swapLatencyOverKafka();
    return 0;
  }

  /** The second model's label, its layer sizes: {@code [784-512-256-10]}. */
  private String secondLabel() {
    return secondModel.stream()
        .map(String::valueOf)
        .collect(java.util.stream.Collectors.joining("-", "[", "]"));
  }

  /**
   * The second, larger model at the largest concurrency: in-process ORT, the edge, the edge with
   * batching.
   */
  private List<Load> second() throws Exception {
    int f = secondModel.get(0);
    List<Integer> h = secondModel.subList(1, secondModel.size() - 1);
    int k = secondModel.get(secondModel.size() - 1);
    int c = concurrency.get(concurrency.size() - 1);
    String label = " " + secondLabel();
    log.info("second model {}", label);
    byte[] model = mlp(f, h, k, 1);
    List<Load> out = new ArrayList<>();
    Load ort = inProcess(model, f, c);
    out.add(
        new Load(
            ort.name() + label,
            c,
            ort.requestsPerSecond(),
            ort.p50Ms(),
            ort.p99Ms(),
            ort.cpuMicros()));
    Path body = Files.createTempFile("streamforge-bench-", ".json");
    Path script = Files.createTempFile("streamforge-bench-", ".lua");
    try {
      Files.writeString(body, requestBody(f));
      Files.writeString(script, script(body));
      for (boolean batching : new boolean[] {false, true}) {
        EdgeConfig config = sized(EdgeConfig.defaults().withHttpPort(0));
        if (batching) {
          config = config.withBatching(batchSize, Duration.ofMillis(batchDelayMs));
        }
        try (Edge edge = Edge.start(config, null, null)) {
          edge.deploy(MODEL, 1, model, true);
          wrk("warm-up", edge.port(), 8, script, 3);
          out.add(
              wrk((batching ? "edge batching" : "edge") + label, edge.port(), c, script, duration));
        }
      }
    } finally {
      Files.deleteIfExists(body);
      Files.deleteIfExists(script);
    }
    return out;
  }

  private static String script(Path body) {
    return "wrk.method = \"POST\"\n"
        + "wrk.headers[\"Content-Type\"] = \"application/json\"\n"
        + "local f = io.open(\""
        + body
        + "\", \"r\")\nwrk.body = f:read(\"*a\")\nf:close()\n"
        + LatencyTail.LUA;
  }

  /**
   * The edge with a queue deep enough for the largest concurrency: the benchmark measures
   * throughput, not the overload answer (503) that a shallower queue gives on purpose.
   */
  private EdgeConfig sized(EdgeConfig config) {
    int top = concurrency.stream().mapToInt(Integer::intValue).max().orElse(64);
    return config.withWorkers(
        config.workerThreads(), Math.max(config.workerThreads() * 4, 2 * top));
  }

  /** ONNX Runtime in this JVM: c threads calling one session with one row each. */
  private Load inProcess(byte[] model, int features, int c) throws Exception {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.setIntraOpNumThreads(EdgeConfig.defaults().intraOpThreads());
      try (OrtSession session = env.createSession(model, options)) {
        float[] row = row(features);
        long end = System.nanoTime() + Duration.ofSeconds(duration).toNanos();
        List<long[]> perThread = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        AtomicInteger counts = new AtomicInteger();
        for (int t = 0; t < c; t++) {
          long[] latencies = new long[2_000_000];
          perThread.add(latencies);
          int index = t;
          Thread thread =
              new Thread(
                  () -> {
                    int n = 0;
                    try (OnnxTensor x =
                        OnnxTensor.createTensor(
                            env, FloatBuffer.wrap(row), new long[] {1, features})) {
                      while (System.nanoTime() < end && n < latencies.length) {
                        long t0 = System.nanoTime();
                        try (OrtSession.Result r = session.run(Map.of(OnnxExporter.INPUT, x))) {
                          latencies[n++] = System.nanoTime() - t0;
                        }
                      }
                    } catch (Exception e) {
                      log.error("in-process thread {} failed", index, e);
                    }
                    perThread.set(index, Arrays.copyOf(latencies, n));
                    counts.addAndGet(n);
                  });
          threads.add(thread);
        }
        long t0 = System.nanoTime();
        long cpu0 = cpuNanos();
        threads.forEach(Thread::start);
        for (Thread t : threads) {
          t.join();
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        double cpu = (cpuNanos() - cpu0) / 1e3 / Math.max(1, counts.get());
        long[] all = perThread.stream().flatMapToLong(Arrays::stream).sorted().toArray();
        return new Load(
            "in-process ORT",
            c,
            counts.get() / seconds,
            all[all.length / 2] / 1e6,
            all[(int) Math.min(all.length - 1, Math.floor(all.length * 0.99))] / 1e6,
            cpu);
      }
    }
  }

  private static final Pattern TOTAL = Pattern.compile("(\\d+) requests in ([0-9.]+)s,");
  private static final Pattern PCT =
      Pattern.compile("^\\s+(50|99)%\\s+([0-9.]+)(us|ms|s)\\s*$", Pattern.MULTILINE);
  private static final Pattern NON2XX = Pattern.compile("Non-2xx or 3xx responses:\\s+(\\d+)");

  /** Steady and swapping windows alternate this many times. */
  private static final int SWAP_ROUNDS = 8;

  /**
   * Swapping before the measured windows: the JIT recompiles the request path for a while after the
   * first swaps of a process (with 1 s of swapping first, a swapping window cost the edge 14 µs
   * more CPU per request than a steady one, most of it C2; after 12 s, none).
   */
  private static final int SWAP_WARM_UP_SECONDS = 10;

  /** The latency tails of the steady and the swapping windows, pooled for the p99 ratio. */
  private List<LatencyTail> steadyTails = List.of();

  private List<LatencyTail> swapTails = List.of();

  /** Per round, the swapping window's p99 over the steady window's before it. */
  private List<Double> swapRatios = List.of();

  /** A measurement that may fail. */
  private interface Measure {
    Load run() throws Exception;
  }

  /** Deploys a new version of the benchmark model every {@code everyMs} while a run lasts. */
  private static final class Swapper {
    private final Edge edge;
    private final List<byte[]> versions;
    private final long everyMs;
    private final AtomicInteger swaps = new AtomicInteger();
    private final Runnable onStart;
    private int next = 2;

    /**
     * @param onStart runs first on each swapping thread
     */
    Swapper(Edge edge, List<byte[]> versions, long everyMs, Runnable onStart) {
      this.edge = edge;
      this.versions = versions;
      this.everyMs = everyMs;
      this.onStart = onStart;
    }

    int swaps() {
      return swaps.get();
    }

    Load during(Measure measure) throws Exception {
      AtomicBoolean swapping = new AtomicBoolean(true);
      Thread swapper =
          new Thread(
              () -> {
                onStart.run();
                while (swapping.get()) {
                  try {
                    int v = next++;
                    edge.deploy(MODEL, v, versions.get(v % versions.size()), true);
                    swaps.incrementAndGet();
                    Thread.sleep(everyMs);
                  } catch (InterruptedException e) {
                    return;
                  } catch (Exception e) {
                    log.error("swap failed", e);
                    return;
                  }
                }
              },
              "bench-swapper");
      swapper.start();
      try {
        return measure.run();
      } finally {
        swapping.set(false);
        swapper.join();
      }
    }
  }

  /** The CPU that {@code --spare-core} keeps for the edge's loads: the last one. */
  private static int loadCpu() {
    return Runtime.getRuntime().availableProcessors() - 1;
  }

  private static void requireSpareCore() {
    if (Runtime.getRuntime().availableProcessors() < 2) {
      throw new UserException("--spare-core needs 2 CPUs or more; this machine has 1");
    }
    if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux")) {
      throw new UserException("--spare-core pins threads with Linux's sched_setaffinity");
    }
    try {
      Process p = new ProcessBuilder("taskset", "-V").redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      if (p.waitFor() != 0) {
        throw new UserException("--spare-core needs taskset (util-linux); `taskset -V` failed");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new UserException("interrupted while looking for taskset");
    } catch (IOException e) {
      throw new UserException("--spare-core needs taskset (util-linux): " + e.getMessage());
    }
  }

  /**
   * With {@code --spare-core}: the edge's request threads on every CPU but the last, its loading
   * and freeing threads on the last. Repeated before each window, for threads started since.
   */
  private void pinForSwaps() {
    if (!spareCore) {
      return;
    }
    int load = loadCpu();
    // thread names as /proc shows them: at most 15 characters
    ThreadPinning.pin(
        n ->
            n.startsWith("vert.x-eventloo")
                || n.startsWith("vert.x-acceptor")
                || n.startsWith("edge-infer-")
                || n.startsWith("edge-batch-time"),
        0,
        load - 1);
    ThreadPinning.pin(
        n -> n.startsWith("edge-model-load") || n.startsWith("edge-session-cl"), load, load);
  }

  /** With {@code --spare-core}: the swapping thread (which waits for each load) on the last CPU. */
  private void pinSwapper() {
    if (spareCore) {
      ThreadPinning.pin("bench-swapper"::equals, loadCpu(), loadCpu());
    }
  }

  private Load wrk(String name, int port, int c, Path script, int seconds) throws Exception {
    List<String> cmd = new ArrayList<>();
    if (wrkCpus != null) {
      cmd.addAll(List.of("taskset", "-c", wrkCpus));
    }
    cmd.addAll(
        List.of(
            "wrk",
            "-t",
            Integer.toString(Math.min(c, 2)),
            "-c",
            Integer.toString(c),
            "-d",
            seconds + "s",
            "--latency",
            "-s",
            script.toString(),
            "http://127.0.0.1:" + port + "/v2/models/" + MODEL + "/infer"));
    long cpu0 = cpuNanos();
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    long cpu = cpuNanos() - cpu0;
    if (!p.waitFor(seconds + 60L, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException("wrk failed:\n" + out);
    }
    log.debug("wrk {} c={}:\n{}", name, c, out);
    long non2xx = 0;
    Matcher m = NON2XX.matcher(out);
    if (m.find()) {
      non2xx = Long.parseLong(m.group(1));
      System.out.printf("%s c=%d: %d non-2xx responses (not counted)%n", name, c, non2xx);
    }
    Matcher total = TOTAL.matcher(out);
    if (!total.find()) {
      throw new IllegalStateException("no request count in wrk output:\n" + out);
    }
    long requests = Long.parseLong(total.group(1));
    double ok = (requests - non2xx) / Double.parseDouble(total.group(2));
    double p50 = Double.NaN;
    double p99 = Double.NaN;
    Matcher pct = PCT.matcher(out);
    while (pct.find()) {
      double v = Double.parseDouble(pct.group(2));
      double ms =
          switch (pct.group(3)) {
            case "us" -> v / 1000;
            case "s" -> v * 1000;
            default -> v;
          };
      if (pct.group(1).equals("50")) {
        p50 = ms;
      } else {
        p99 = ms;
      }
    }
    LatencyTail tail =
        LatencyTail.parse(out)
            .orElseThrow(() -> new IllegalStateException("no latency tail in wrk output:\n" + out));
    return new Load(name, c, ok, p50, p99, cpu / 1e3 / Math.max(1, requests), tail);
  }

  private void print(List<Load> loads, java.io.PrintStream out) {
    out.printf(
        "%n%-40s %5s %12s %10s %10s %14s%n",
        "benchmark", "conc", "2xx req/s", "p50 ms", "p99 ms", "JVM CPU us/req");
    for (Load l : loads) {
      out.printf(
          Locale.ROOT,
          "%-40s %5d %,12.0f %10.3f %10.3f %14.1f%n",
          l.name(),
          l.concurrency(),
          l.requestsPerSecond(),
          l.p50Ms(),
          l.p99Ms(),
          l.cpuMicros());
    }
    for (int c : concurrency) {
      Load ort = find(loads, "in-process ORT", c);
      Load edge = find(loads, "edge", c);
      if (ort != null && edge != null) {
        out.printf(
            Locale.ROOT,
            "edge / in-process at c=%d: %.2fx throughput%n",
            c,
            edge.requestsPerSecond() / ort.requestsPerSecond());
      }
    }
    int top = concurrency.get(concurrency.size() - 1);
    Load batching = find(loads, "edge batching", top);
    Load plain = find(loads, "edge", top);
    if (batching != null && plain != null) {
      out.printf(
          Locale.ROOT,
          "batching / unbatched edge at c=%d: %.2fx throughput%n",
          top,
          batching.requestsPerSecond() / plain.requestsPerSecond());
    }
    if (secondModel.size() >= 3) {
      String label = " " + secondLabel();
      Load ort = find(loads, "in-process ORT" + label, top);
      Load edge = find(loads, "edge" + label, top);
      Load batched = find(loads, "edge batching" + label, top);
      if (ort != null && edge != null && batched != null) {
        out.printf(
            Locale.ROOT,
            "second model%s at c=%d: edge / in-process %.2fx, batching / unbatched edge %.2fx,"
                + " batching / in-process %.2fx%n",
            label,
            top,
            edge.requestsPerSecond() / ort.requestsPerSecond(),
            batched.requestsPerSecond() / edge.requestsPerSecond(),
            batched.requestsPerSecond() / ort.requestsPerSecond());
      }
    }
    Load steady = find(loads, "edge steady");
    Load during = find(loads, "edge during swaps");
    if (steady != null && during != null) {
      long steadyP99 = LatencyTail.pooledPercentile(steadyTails, 99);
      long swapP99 = LatencyTail.pooledPercentile(swapTails, 99);
      out.printf(
          Locale.ROOT,
          "p99 during swaps / steady p99 at c=%d: %.2fx (all requests of %d alternating windows"
              + " each: %.3f ms over %,d requests during swaps, %.3f ms over %,d steady)%n",
          steady.concurrency(),
          (double) swapP99 / steadyP99,
          SWAP_ROUNDS,
          swapP99 / 1e3,
          swapTails.stream().mapToLong(LatencyTail::requests).sum(),
          steadyP99 / 1e3,
          steadyTails.stream().mapToLong(LatencyTail::requests).sum());
      if (!LatencyTail.resolved(swapTails, swapP99)
          || !LatencyTail.resolved(steadyTails, steadyP99)) {
        out.println("  (a window's own p90 lies above a pooled p99: that p99 is an upper bound)");
      }
      if (spareCore) {
        out.printf(
            "  (request threads and wrk on CPUs %s, loads on CPU %d)%n",
            ThreadPinning.list(0, loadCpu() - 1), loadCpu());
      }
      out.printf(
          Locale.ROOT,
          "  medians of the windows' own p99s: %.2fx; window by window: %s%n",
          during.p99Ms() / steady.p99Ms(),
          swapRatios.stream().map(r -> String.format(Locale.ROOT, "%.2fx", r)).toList());
    }
  }

  private static Load find(List<Load> loads, String name) {
    return loads.stream().filter(l -> l.name().equals(name)).findFirst().orElse(null);
  }

  /** A row of column-wise medians over several runs of one load. */
  private static Load median(String name, List<Load> runs) {
    return new Load(
        name,
        runs.get(0).concurrency(),
        BenchTrainCommand.median(runs.stream().mapToDouble(Load::requestsPerSecond).toArray()),
        BenchTrainCommand.median(runs.stream().mapToDouble(Load::p50Ms).toArray()),
        BenchTrainCommand.median(runs.stream().mapToDouble(Load::p99Ms).toArray()),
        BenchTrainCommand.median(runs.stream().mapToDouble(Load::cpuMicros).toArray()));
  }

  private static Load find(List<Load> loads, String name, int c) {
    return loads.stream()
        .filter(l -> l.name().equals(name) && l.concurrency() == c)
        .findFirst()
        .orElse(null);
  }

  /**
   * Registry event to traffic for a ~10 MB model: an edge following an embedded broker; v(n+1)'s
   * artifact is published, then its REGISTERED event; the clock runs from that event's send to the
   * first response answered by v(n+1). Three swaps, median.
   */
  private void swapLatencyOverKafka() throws Exception {
    int width = 1_570; // 64-1570-1570-10: about 2.6M float weights, 10 MB of ONNX
    Path dir = Files.createTempDirectory("streamforge-bench-edge-");
    try (EmbeddedBroker broker = EmbeddedBroker.start(dir, 0, 0, Map.of())) {
      KafkaClients clients = KafkaClients.of(broker.bootstrapServers());
      TopicAdmin.ensure(clients.admin(), Topics.ALL);
      awaitLeaders(clients, Duration.ofSeconds(30));
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
      String request = requestBody(features);
      try (KafkaProducer<String, byte[]> producer =
          new KafkaProducer<>(clients.producer("bench-edge"))) {
        register(producer, 1, mlp(features, List.of(width, width), classes, 1));
        try (Edge edge = Edge.start(EdgeConfig.defaults().withHttpPort(0), clients, null)) {
          if (!edge.awaitReady(Duration.ofSeconds(60))) {
            throw new IllegalStateException("edge not ready");
          }
          waitForVersion(http, edge.port(), request, 1, Duration.ofSeconds(60));
          double[] seconds = new double[3];
          int size = 0;
          for (int i = 0; i < seconds.length; i++) {
            int v = i + 2;
            byte[] bytes = mlp(features, List.of(width, width), classes, v);
            size = bytes.length;
            String sha = publishArtifact(producer, v, bytes);
            long t0 = System.nanoTime();
            sendEvent(producer, v, sha, bytes.length);
            waitForVersion(http, edge.port(), request, v, Duration.ofSeconds(60));
            seconds[i] = (System.nanoTime() - t0) / 1e9;
          }
          Arrays.sort(seconds);
          System.out.printf(
              Locale.ROOT,
              "registry event to traffic, %.1f MB model: median %.3f s (runs %s)%n",
              size / 1e6,
              seconds[1],
              Arrays.toString(seconds));
        }
      }
    } finally {
      try (var paths = Files.walk(dir)) {
        paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  /**
   * Waits until every partition of the topics this benchmark writes has a leader: a producer that
   * writes to a partition the fresh broker is still electing a leader for can get stuck retrying
   * with out-of-order sequence numbers on a loaded machine.
   */
  private static void awaitLeaders(KafkaClients clients, Duration timeout) throws Exception {
    List<String> names = List.of(Topics.MODELS.name(), Topics.MODEL_ARTIFACTS.name());
    long deadline = System.nanoTime() + timeout.toNanos();
    try (org.apache.kafka.clients.admin.Admin admin =
        org.apache.kafka.clients.admin.Admin.create(clients.admin())) {
      while (true) {
        boolean ready =
            admin.describeTopics(names).allTopicNames().get(10, TimeUnit.SECONDS).values().stream()
                .flatMap(d -> d.partitions().stream())
                .allMatch(p -> p.leader() != null && !p.leader().isEmpty());
        if (ready) {
          return;
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("no leaders for " + names + " within " + timeout);
        }
        Thread.sleep(50);
      }
    }
  }

  private void register(KafkaProducer<String, byte[]> producer, int version, byte[] bytes) {
    sendEvent(producer, version, publishArtifact(producer, version, bytes), bytes.length);
  }

  private static String publishArtifact(
      KafkaProducer<String, byte[]> producer, int version, byte[] bytes) {
    return ModelArtifacts.publish(
        producer, Topics.MODEL_ARTIFACTS.partitions(), MODEL, version, "fp32", bytes);
  }

  private static void sendEvent(
      KafkaProducer<String, byte[]> producer, int version, String sha, long size) {
    ModelEvent e =
        new ModelEvent(
            MODEL,
            version,
            "fp32",
            "onnx",
            ModelEvent.ModelStatus.REGISTERED,
            sha,
            size,
            Map.of(),
            null,
            "bench",
            null,
            Instant.now());
    producer.send(
        new ProducerRecord<>(
            Topics.MODELS.name(),
            e.key(),
            Topics.MODELS.valueSerde().serializer().serialize(Topics.MODELS.name(), e)));
    producer.flush();
  }

  private static void waitForVersion(
      HttpClient http, int port, String body, int version, Duration timeout) throws Exception {
    HttpRequest request =
        HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + port + "/v2/models/" + MODEL + "/infer"))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() == 200
          && r.headers()
              .firstValue("x-model-version")
              .map(Integer.toString(version)::equals)
              .orElse(false)) {
        return;
      }
      Thread.sleep(2);
    }
    throw new IllegalStateException("version " + version + " took no traffic within " + timeout);
  }

  /** A random MLP exported with the training consumers' ONNX exporter (no standardization). */
  static byte[] mlp(int features, List<Integer> hidden, int classes, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    List<NetworkWeights.Layer> layers = new ArrayList<>();
    int in = features;
    List<Integer> widths = new ArrayList<>(hidden);
    widths.add(classes);
    for (int k = 0; k < widths.size(); k++) {
      int out = widths.get(k);
      float[] w = new float[out * in];
      float scale = (float) Math.sqrt(2.0 / in);
      for (int i = 0; i < w.length; i++) {
        w[i] = (float) (random.nextGaussian() * scale);
      }
      layers.add(new NetworkWeights.Dense(in, out, w, new float[out]));
      if (k < widths.size() - 1) {
        layers.add(new NetworkWeights.Act("relu"));
      }
      in = out;
    }
    List<String> names = new ArrayList<>();
    double[] mean = new double[features];
    double[] std = new double[features];
    for (int i = 0; i < features; i++) {
      names.add("f" + i);
      std[i] = 1;
    }
    float[] labels = new float[classes];
    for (int i = 0; i < classes; i++) {
      labels[i] = i;
    }
    Preprocessing prep =
        new Preprocessing(names, mean, std, labels, 0, 1, 0, 0.2, new float[0], new float[0]);
    return OnnxExporter.export(new NetworkWeights(layers), prep, true, "bench", "bench", Map.of());
  }

  private static float[] row(int features) {
    float[] row = new float[features];
    for (int i = 0; i < features; i++) {
      row[i] = (i % 7) * 0.25f;
    }
    return row;
  }

  private static String requestBody(int features) {
    StringBuilder data = new StringBuilder();
    float[] row = row(features);
    for (int i = 0; i < row.length; i++) {
      data.append(i == 0 ? "" : ",").append(row[i]);
    }
    return "{\"inputs\":[{\"name\":\""
        + OnnxExporter.INPUT
        + "\",\"datatype\":\"FP32\",\"shape\":[1,"
        + features
        + "],\"data\":["
        + data
        + "]}]}";
  }

  private static void requireWrk() throws IOException, InterruptedException {
    try {
      Process p = new ProcessBuilder("wrk", "--version").redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      p.waitFor();
    } catch (IOException e) {
      throw new UserException("bench edge needs wrk on the PATH: apt-get install wrk");
    }
  }
}
