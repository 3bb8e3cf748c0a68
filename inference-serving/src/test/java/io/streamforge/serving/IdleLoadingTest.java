package io.streamforge.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.streamforge.serving.model.IdlePriority;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Model versions are loaded and freed on threads in Linux's SCHED_IDLE class (by default), so that
 * a swap never takes a core from the requests; the policy is read back from {@code /proc}, as the
 * kernel sees it. Linux only.
 */
class IdleLoadingTest {
  private static final int SCHED_IDLE = 5;

  @BeforeAll
  static void linux() {
    assumeTrue(Files.isDirectory(Path.of("/proc/self/task")), "needs Linux's /proc");
  }

  /**
   * The scheduling policy of each of this process's threads named {@code name} (the kernel keeps
   * the first 15 characters of a thread's name).
   */
  private static List<Integer> policies(String name) throws Exception {
    String comm = name.substring(0, Math.min(15, name.length()));
    List<Integer> out = new ArrayList<>();
    try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
      for (Path t : tasks.toList()) {
        try {
          if (Files.readString(t.resolve("comm")).trim().equals(comm)) {
            String stat = Files.readString(t.resolve("stat"));
            // fields after the parenthesised name; policy is field 41 of stat
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            out.add(Integer.parseInt(f[41 - 3]));
          }
        } catch (java.io.IOException ended) {
          // the thread ended while being read
        }
      }
    }
    return out;
  }

  @Test
  void aThreadMovesItselfToTheIdleClassAndStillRuns() throws Exception {
    AtomicBoolean applied = new AtomicBoolean();
    AtomicBoolean idle = new AtomicBoolean();
    AtomicInteger work = new AtomicInteger();
    Thread t =
        new Thread(
            () -> {
              applied.set(IdlePriority.applyToCurrentThread());
              idle.set(IdlePriority.isCurrentThreadIdle());
              for (int i = 0; i < 1_000_000; i++) {
                work.incrementAndGet();
              }
            },
            "sf-idle-probe");
    t.start();
    t.join(30_000);
    assertThat(applied).isTrue();
    assertThat(idle).isTrue();
    assertThat(work.get()).isEqualTo(1_000_000);
    assertThat(IdlePriority.isCurrentThreadIdle()).as("the caller is untouched").isFalse();
  }

  @Test
  void theEdgeLoadsAndFreesVersionsAtIdlePriorityUnlessToldOtherwise() throws Exception {
    byte[] onnx = OnnxModels.Mlp.of(1).onnx();
    try (Edge edge =
        Edge.start(EdgeConfig.defaults().withHost("127.0.0.1").withHttpPort(0), null, null)) {
      edge.deploy("mlp", 1, onnx, true);
      edge.deploy("mlp", 2, OnnxModels.Mlp.of(2).onnx(), true); // retires and frees version 1
      assertThat(policies("edge-model-loader")).containsExactly(SCHED_IDLE);
      // the closer thread starts with the first retirement and moves itself as it starts
      long deadline = System.nanoTime() + 10_000_000_000L;
      while (!policies("edge-session-closer").equals(List.of(SCHED_IDLE))
          && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertThat(policies("edge-session-closer")).containsExactly(SCHED_IDLE);
      assertThat(edge.repository().served("mlp").orElseThrow().versions()).containsExactly(2);
    }
    // The closed edge's loader thread ends at idle priority: on busy cores it may take a moment
    // to be gone from /proc.
    long gone = System.nanoTime() + 10_000_000_000L;
    while (!policies("edge-model-loader").isEmpty() && System.nanoTime() < gone) {
      Thread.sleep(10);
    }
    assertThat(policies("edge-model-loader")).as("loader threads after close").isEmpty();
    try (Edge edge =
        Edge.start(
            EdgeConfig.defaults().withHost("127.0.0.1").withHttpPort(0).withIdleLoading(false),
            null,
            null)) {
      edge.deploy("mlp", 1, onnx, true);
      assertThat(policies("edge-model-loader")).containsExactly(0); // SCHED_OTHER
    }
    assertThat(EdgeConfig.defaults().describe()).contains("model loading at idle priority");
    assertThat(EdgeConfig.defaults().withIdleLoading(false).describe())
        .contains("model loading at normal priority");
  }
}
