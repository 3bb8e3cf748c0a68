package io.streamforge.launcher.cli;

import com.sun.jna.NativeLibrary;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * Pins threads of this process, chosen by name, to a range of CPUs (Linux {@code
 * sched_setaffinity}). For {@code bench edge --spare-core}, which keeps one CPU for the edge's
 * model loads while the requests and the load generator share the others.
 */
final class ThreadPinning {
  private ThreadPinning() {}

  /** The CPUs {@code first} to {@code last} (inclusive) as {@code taskset -c} writes them. */
  static String list(int first, int last) {
    return first == last ? Integer.toString(first) : first + "-" + last;
  }

  /**
   * Pins every thread of this process whose name matches to the CPUs {@code first} to {@code last}.
   *
   * @return how many threads were pinned
   * @throws IllegalStateException naming the thread and the error when a call fails
   */
  static int pin(Predicate<String> name, int first, int last) {
    if (first < 0 || last < first || last >= 64 * 16) {
      throw new IllegalArgumentException("no such CPU range: " + first + ".." + last);
    }
    long[] mask = new long[last / 64 + 1];
    for (int cpu = first; cpu <= last; cpu++) {
      mask[cpu / 64] |= 1L << (cpu % 64);
    }
    int pinned = 0;
    for (Task t : tasks()) {
      if (!name.test(t.name())) {
        continue;
      }
      int rc =
          NativeLibrary.getInstance("c")
              .getFunction("sched_setaffinity")
              .invokeInt(new Object[] {t.tid(), (long) mask.length * Long.BYTES, mask});
      if (rc != 0) {
        throw new IllegalStateException(
            "cannot pin thread " + t.name() + " (" + t.tid() + ") to CPUs " + list(first, last));
      }
      pinned++;
    }
    return pinned;
  }

  /** The CPUs a thread may run on, from {@code /proc/self/task/<tid>/status}. */
  static String allowed(String threadName) {
    for (Task t : tasks()) {
      if (t.name().equals(threadName)) {
        try {
          return Files.readAllLines(Path.of("/proc/self/task", Integer.toString(t.tid()), "status"))
              .stream()
              .filter(l -> l.startsWith("Cpus_allowed_list:"))
              .map(l -> l.substring("Cpus_allowed_list:".length()).trim())
              .findFirst()
              .orElseThrow();
        } catch (IOException e) {
          throw new IllegalStateException("cannot read the affinity of " + threadName, e);
        }
      }
    }
    throw new IllegalArgumentException("no thread named " + threadName);
  }

  private record Task(int tid, String name) {}

  private static List<Task> tasks() {
    try (Stream<Path> dirs = Files.list(Path.of("/proc/self/task"))) {
      return dirs.flatMap(
              d -> {
                try {
                  return Stream.of(
                      new Task(
                          Integer.parseInt(d.getFileName().toString()),
                          Files.readString(d.resolve("comm")).strip()));
                } catch (IOException e) {
                  return Stream.empty(); // the thread has ended
                }
              })
          .toList();
    } catch (IOException e) {
      throw new IllegalStateException("cannot list this process's threads in /proc/self/task", e);
    }
  }
}
