package io.streamforge.launcher.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * CPU time of this process's threads by kind, from Linux's {@code /proc/self/task/<tid>/schedstat}
 * (nanoseconds on a CPU). Native threads count too: PyTorch's OpenMP workers carry the process's
 * name ({@code java}), like the JVM's main thread. Threads that ended between two snapshots drop
 * out. Empty on systems without {@code /proc}.
 */
final class ThreadCpu {
  /** The kinds, in print order. */
  static final String[] KINDS = {"trainer", "feed", "broker", "gc", "jit", "other"};

  private ThreadCpu() {}

  /** CPU seconds per thread id, with each thread's kind. */
  static Map<String, double[]> snapshot() {
    Map<String, double[]> out = new LinkedHashMap<>();
    Path tasks = Path.of("/proc/self/task");
    if (!Files.isDirectory(tasks)) {
      return out;
    }
    try (Stream<Path> list = Files.list(tasks)) {
      list.forEach(
          t -> {
            try {
              String comm = Files.readString(t.resolve("comm")).trim();
              String stat = Files.readString(t.resolve("schedstat")).trim();
              long ns = Long.parseLong(stat.substring(0, stat.indexOf(' ')));
              out.put(t.getFileName().toString(), new double[] {kind(comm), ns / 1e9});
            } catch (IOException | RuntimeException e) {
              // the thread ended while being read
            }
          });
    } catch (IOException e) {
      return out;
    }
    return out;
  }

  /** Seconds per kind spent between two snapshots. */
  static double[] between(Map<String, double[]> before, Map<String, double[]> after) {
    double[] byKind = new double[KINDS.length];
    for (Map.Entry<String, double[]> e : after.entrySet()) {
      double[] b = before.get(e.getKey());
      double[] a = e.getValue();
      byKind[(int) a[0]] += a[1] - (b == null ? 0 : b[1]);
    }
    return byKind;
  }

  private static int kind(String comm) {
    if (comm.equals("java")) {
      return 0;
    } else if (comm.startsWith("sf-feed")) {
      return 1;
    } else if (comm.startsWith("kafka")
        || comm.startsWith("data-plane")
        || comm.startsWith("quorum")
        || comm.startsWith("controller")
        || comm.startsWith("broker")
        || comm.startsWith("raft")
        || comm.startsWith("ExpirationReap")
        || comm.startsWith("executor-")
        || comm.startsWith("group-coordina")
        || comm.startsWith("share-")
        || comm.startsWith("transaction")
        || comm.startsWith("LogDirFailure")
        || comm.startsWith("log-")) {
      return 2;
    } else if (comm.startsWith("GC Thread")
        || comm.startsWith("G1 ")
        || comm.startsWith("VM Thread")) {
      return 3;
    } else if (comm.startsWith("C1 Compiler")
        || comm.startsWith("C2 Compiler")
        || comm.startsWith("Sweeper")) {
      return 4;
    }
    return 5;
  }
}
