package io.streamforge.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The tightened checker that the HTTP tests rely on does catch a blocked event loop. */
class BlockedThreadsTest {
  @Test
  void aBlockingCallOnAnEventLoopIsCaught() throws Exception {
    BlockedThreads loops = new BlockedThreads();
    try {
      loops.assertNoneBlocked();
      CountDownLatch done = new CountDownLatch(1);
      loops.vertx.runOnContext(
          v -> {
            try {
              Thread.sleep(4 * BlockedThreads.MAX_EVENT_LOOP_MILLIS);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
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
