package io.streamforge.serving;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.internal.VertxInternal;
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

  /**
   * A report fails the test when the event loop was busy this long, or, from {@link
   * #MAX_EVENT_LOOP_MILLIS} on, when it was caught in a blocking call made from our code. (A loop
   * merely descheduled for a while on a loaded 2-core machine, with no blocking call, is tolerated
   * below this limit.)
   */
  static final long HARD_LIMIT_NANOS = 300_000_000L;

  private static final List<String> BLOCKING =
      List.of(
          "java.lang.Thread.sleep",
          "java.lang.Object.wait",
          "java.util.concurrent.locks.LockSupport.park",
          "java.util.concurrent.CompletableFuture.get",
          "java.util.concurrent.CompletableFuture.join",
          "java.util.concurrent.FutureTask.get",
          // blocking socket I/O (the event loop's own non-blocking channel writes are not)
          "sun.nio.ch.NioSocketImpl",
          "java.net.Socket",
          "java.net.InetAddress",
          "ai.onnxruntime.",
          "org.apache.kafka.");

  static boolean blockingInOurCode(StackTraceElement[] stack) {
    boolean blocking = false;
    for (StackTraceElement f : stack) {
      String frame = f.getClassName() + "." + f.getMethodName();
      if (BLOCKING.stream().anyMatch(frame::startsWith)) {
        blocking = true;
      }
      if (blocking && f.getClassName().startsWith("io.streamforge.")) {
        return true;
      }
    }
    return false;
  }

  final Vertx vertx;
  final List<String> events = new CopyOnWriteArrayList<>();

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
              if (!e.thread().getName().contains("eventloop")) {
                return;
              }
              StackTraceElement[] stack = e.thread().getStackTrace();
              if (e.duration() >= HARD_LIMIT_NANOS || blockingInOurCode(stack)) {
                StringBuilder where = new StringBuilder(e.toString());
                for (StackTraceElement frame : stack) {
                  where.append("\n    at ").append(frame);
                }
                events.add(where.toString());
              }
            });
  }

  /** Fails (once per report) when an event loop was blocked, with where it was. */
  void assertNoneBlocked() {
    if (!events.isEmpty()) {
      List<String> seen = List.copyOf(events);
      events.clear();
      throw new AssertionError("an event loop was blocked: " + seen);
    }
  }

  void close() {
    vertx.close().toCompletionStage().toCompletableFuture().join();
  }
}
