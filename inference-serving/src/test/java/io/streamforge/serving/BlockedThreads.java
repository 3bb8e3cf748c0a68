package io.streamforge.serving;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.internal.threadchecker.BlockedThreadEvent;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A Vert.x instance whose blocked-thread checker is tightened (an event loop busy for more than
 * {@link #MAX_EVENT_LOOP_MILLIS} ms is reported) and whose reports are collected, so tests fail on
 * a blocking call on an event loop instead of only logging it.
 */
final class BlockedThreads {
  static final long MAX_EVENT_LOOP_MILLIS = 100;

  final Vertx vertx;
  final List<BlockedThreadEvent> events = new CopyOnWriteArrayList<>();

  BlockedThreads() {
    vertx =
        Vertx.vertx(
            new VertxOptions()
                .setEventLoopPoolSize(2)
                .setMaxEventLoopExecuteTime(MAX_EVENT_LOOP_MILLIS)
                .setMaxEventLoopExecuteTimeUnit(TimeUnit.MILLISECONDS)
                .setBlockedThreadCheckInterval(20)
                .setBlockedThreadCheckIntervalUnit(TimeUnit.MILLISECONDS));
    ((VertxInternal) vertx)
        .blockedThreadChecker()
        .setThreadBlockedHandler(
            e -> {
              if (e.thread().getName().contains("eventloop")) {
                events.add(e);
              }
            });
  }

  /** Fails when an event loop was blocked. */
  void assertNoneBlocked() {
    if (!events.isEmpty()) {
      throw new AssertionError("an event loop was blocked: " + events);
    }
  }

  void close() {
    vertx.close().toCompletionStage().toCompletableFuture().join();
  }
}
