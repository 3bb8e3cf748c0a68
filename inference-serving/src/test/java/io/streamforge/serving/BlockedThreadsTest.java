package io.streamforge.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The tightened checker that the HTTP tests rely on does catch a blocked event loop. */
class BlockedThreadsTest {
  @Test
  void aShortBlockingCallFromOurCodeIsCaught() throws Exception {
    assertCaught(BlockedThreads.MAX_EVENT_LOOP_MILLIS + 60);
  }

  @Test
  void aLongBusyEventLoopIsCaught() throws Exception {
    assertCaught(-(BlockedThreads.HARD_LIMIT_NANOS / 1_000_000 + 150));
  }

  /** Sleeps for {@code millis} on an event loop, or spins for {@code -millis} when negative. */
  private static void assertCaught(long millis) throws Exception {
    BlockedThreads loops = new BlockedThreads();
    try {
      loops.assertNoneBlocked();
      CountDownLatch done = new CountDownLatch(1);
      loops.vertx.runOnContext(
          v -> {
            if (millis < 0) {
              long end = System.nanoTime() - millis * 1_000_000;
              long spins = 0;
              while (System.nanoTime() < end) {
                spins++;
              }
              assertThat(spins).isPositive();
            } else {
              try {
                Thread.sleep(millis);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            }
            done.countDown();
          });
      assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
      assertThatThrownBy(loops::assertNoneBlocked).hasMessageContaining("blocked");
    } finally {
      loops.close();
    }
  }
}
