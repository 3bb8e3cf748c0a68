package io.streamforge.launcher.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/** {@code bench edge --spare-core} pins the edge's threads by name; the kernel reports it back. */
class ThreadPinningTest {

  @Test
  void pinsTheNamedThreadsAndNoOthers() throws Exception {
    int last = Runtime.getRuntime().availableProcessors() - 1;
    CountDownLatch done = new CountDownLatch(1);
    Thread pinned = new Thread(() -> await(done), "pin-me-please");
    Thread other = new Thread(() -> await(done), "leave-me-alone");
    pinned.start();
    other.start();
    try {
      String before = ThreadPinning.allowed("leave-me-alone");
      assertThat(ThreadPinning.pin("pin-me-please"::equals, last, last)).isEqualTo(1);
      assertThat(ThreadPinning.allowed("pin-me-please")).isEqualTo(Integer.toString(last));
      assertThat(ThreadPinning.allowed("leave-me-alone")).isEqualTo(before);
      // and back to every CPU
      assertThat(ThreadPinning.pin("pin-me-please"::equals, 0, last)).isEqualTo(1);
      assertThat(ThreadPinning.allowed("pin-me-please")).isEqualTo(ThreadPinning.list(0, last));
      assertThat(ThreadPinning.pin("no-such-thread"::equals, 0, 0)).isZero();
    } finally {
      done.countDown();
      pinned.join();
      other.join();
    }
  }

  @Test
  void aCpuRangeThatIsNoneIsRefused() {
    assertThatThrownBy(() -> ThreadPinning.pin(n -> false, 1, 0))
        .hasMessageContaining("no such CPU range: 1..0");
    assertThat(ThreadPinning.list(0, 0)).isEqualTo("0");
    assertThat(ThreadPinning.list(0, 3)).isEqualTo("0-3");
  }

  private static void await(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
