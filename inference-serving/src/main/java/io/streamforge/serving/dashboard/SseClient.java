package io.streamforge.serving.dashboard;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Server-Sent Events connection: its cursor, its filter and a bounded buffer of frames that its
 * event loop writes out as fast as the socket takes them.
 *
 * <p>Readers (a topic's shared tail, the client's catch-up reader) hand records to it from their
 * own threads. Deciding what a record means for the client, moving its cursor and queueing the
 * frame (whose {@code id} is the cursor after it) happen under the client's lock, so the order of
 * frames is the order of the cursor: a client resuming from any id gets exactly what came after it.
 * The shared tail never waits ({@link #offer}: a full buffer means disconnect); a catch-up reader
 * does ({@link #put}, up to the stall timeout).
 */
final class SseClient {
  private static final Logger log = LoggerFactory.getLogger(SseClient.class);

  /** Why a client went away; the edge counts drops by it. */
  enum CloseReason {
    /** The client closed the connection. */
    GONE,
    /** The client fell behind the live tail by more than its buffer. */
    SLOW,
    /** The client did not read history for the stall timeout. */
    STALLED,
    /** The edge closes, or the stream's reader failed. */
    SHUTDOWN
  }

  private final Vertx vertx;
  private final Context context;
  private final HttpServerResponse response;
  private final HttpConnection connection;
  private final StreamRequest request;
  private final int capacity;
  private final Cursor cursor; // guarded by this
  private final Semaphore room;
  private final ConcurrentLinkedQueue<Buffer> queue = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean drainScheduled = new AtomicBoolean();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final BiConsumer<SseClient, CloseReason> onClose;
  private final String description;
  private long heartbeatTimer = -1;

  /**
   * Called on the connection's event loop, after the response headers are set.
   *
   * @param onClose called once, on any thread, when the client goes away
   */
  SseClient(
      Vertx vertx,
      Context context,
      HttpServerResponse response,
      HttpConnection connection,
      StreamRequest request,
      int capacity,
      String description,
      BiConsumer<SseClient, CloseReason> onClose) {
    this.vertx = vertx;
    this.context = context;
    this.response = response;
    this.connection = connection;
    this.request = request;
    this.capacity = capacity;
    this.room = new Semaphore(capacity);
    this.description = description;
    this.onClose = onClose;
    this.cursor = request.resume() == null ? new Cursor() : request.resume().copy();
    cursor.retain(request.streams());
  }

  StreamRequest request() {
    return request;
  }

  boolean isClosed() {
    return closed.get();
  }

  /** Sends the comments that keep an idle connection open; on the event loop. */
  void startHeartbeat(Duration period) {
    heartbeatTimer =
        vertx.setPeriodic(
            period.toMillis(),
            t -> {
              if (!closed.get() && !response.writeQueueFull()) {
                response.write(Buffer.buffer(": heartbeat\n\n"));
              }
            });
  }

  /**
   * Starts a stream at the given positions (the tail's, or where a catch-up met it): later records
   * of partitions below them are not sent twice.
   */
  synchronized void join(Stream stream, Map<Integer, Long> positions) {
    cursor.advance(stream, positions);
  }

  /** The positions this client starts a stream from (null: the beginning). */
  synchronized Map<Integer, Long> positions(Stream stream) {
    return cursor.positions(stream);
  }

  /**
   * From the shared tail: queues the record's event without waiting.
   *
   * @return false when the buffer is full: the caller drops this client
   */
  boolean offer(Delivery d) {
    if (sent(d)) {
      return true; // the tail overlapping where this client's catch-up ended: not a full buffer
    }
    StreamFilter.Event event = request.filter().select(d);
    if (event == null) {
      skip(d);
      return true;
    }
    if (!room.tryAcquire()) {
      return false;
    }
    enqueue(d, event);
    return true;
  }

  /**
   * From a catch-up reader: queues the record's event, waiting for room up to {@code stall}.
   *
   * @return false when the client is closed or did not make room in time
   */
  boolean put(Delivery d, Duration stall) throws InterruptedException {
    if (sent(d)) {
      return !closed.get();
    }
    StreamFilter.Event event = request.filter().select(d);
    if (event == null) {
      skip(d);
      return !closed.get();
    }
    if (!room.tryAcquire(stall.toNanos(), TimeUnit.NANOSECONDS)) {
      return false;
    }
    enqueue(d, event);
    return !closed.get();
  }

  /** Whether the client's cursor is past this record already. */
  private synchronized boolean sent(Delivery d) {
    return d.offset() < cursor.next(d.stream(), d.partition());
  }

  /**
   * Whether at most half of the buffer is taken: a catch-up joins the live tail (which never waits)
   * only then, so that a client that kept up with its history is not dropped at the seam.
   */
  boolean hasRoom() {
    return room.availablePermits() >= capacity / 2;
  }

  private synchronized void skip(Delivery d) {
    if (d.offset() >= cursor.next(d.stream(), d.partition())) {
      cursor.advance(d.stream(), d.partition(), d.offset() + 1);
    }
  }

  private void enqueue(Delivery d, StreamFilter.Event event) {
    synchronized (this) {
      if (closed.get() || d.offset() < cursor.next(d.stream(), d.partition())) {
        room.release(); // already sent (the tail overlapping where a catch-up ended), or closed
        return;
      }
      cursor.advance(d.stream(), d.partition(), d.offset() + 1);
      queue.add(frame(cursor.encode(), event));
    }
    scheduleDrain();
  }

  /** One SSE frame; data with line breaks becomes several {@code data:} lines. */
  static Buffer frame(String id, StreamFilter.Event event) {
    StringBuilder b = new StringBuilder(event.data().length() + id.length() + 32);
    b.append("id: ").append(id).append('\n');
    b.append("event: ").append(event.name()).append('\n');
    for (String line : event.data().split("\r\n|\r|\n", -1)) {
      b.append("data: ").append(line).append('\n');
    }
    b.append('\n');
    return Buffer.buffer(b.toString().getBytes(StandardCharsets.UTF_8));
  }

  private void scheduleDrain() {
    if (drainScheduled.compareAndSet(false, true)) {
      context.runOnContext(v -> drain());
    }
  }

  /** Writes queued frames while the socket takes them; on the event loop. */
  private void drain() {
    drainScheduled.set(false);
    if (closed.get()) {
      return;
    }
    Buffer b;
    while (!response.writeQueueFull() && (b = queue.poll()) != null) {
      response.write(b);
      room.release();
    }
    if (!queue.isEmpty()) {
      response.drainHandler(v -> scheduleDrain());
    }
  }

  /** Events waiting in this client's buffer (not yet handed to the socket). */
  int buffered() {
    return capacity - room.availablePermits();
  }

  /**
   * Closes the stream, once; on any thread. A client that is too slow or stalled loses its
   * connection at once (what it has not read is dropped); otherwise the response ends.
   */
  void close(CloseReason reason) {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    room.release(capacity); // wakes a catch-up reader waiting for room
    if (reason != CloseReason.GONE) {
      log.info("stream {} closed: {}", description, reason.name().toLowerCase());
    }
    try {
      onClose.accept(this, reason);
    } finally {
      context.runOnContext(
          v -> {
            if (heartbeatTimer >= 0) {
              vertx.cancelTimer(heartbeatTimer);
            }
            queue.clear();
            if (reason == CloseReason.SLOW || reason == CloseReason.STALLED) {
              connection.close();
            } else if (reason != CloseReason.GONE && !response.ended()) {
              response.end();
            }
          });
    }
  }

  @Override
  public String toString() {
    return description;
  }
}
