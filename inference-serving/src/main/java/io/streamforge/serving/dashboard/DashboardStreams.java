package io.streamforge.serving.dashboard;

import io.streamforge.arrowio.dataset.KafkaClients;
import io.streamforge.serving.EdgeException;
import io.streamforge.serving.metrics.EdgeMetrics;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The edge's event streams for dashboards: {@code GET /api/streams/{phases, metrics, trials,
 * deployments, models}} and {@code GET /api/streams/all} (several on one connection, since a
 * browser opens at most six HTTP/1.1 connections to one host), as Server-Sent Events.
 *
 * <p>Each topic has one shared tail per edge ({@link TopicFeed}), started on first use, that fans
 * its records out to every client reading live; a client that starts behind it (from the beginning,
 * or after a {@code Last-Event-ID}) first reads with a consumer of its own on the catch-up pool
 * ({@link CatchUp}) and then joins the tail. Consumers run on their own threads, never on an event
 * loop; the event loops only write what is queued.
 */
public final class DashboardStreams implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(DashboardStreams.class);
  private static final String SSE = "text/event-stream; charset=utf-8";

  private final Vertx vertx;
  private final KafkaClients clients;
  private final DashboardConfig config;
  private final String edgeId;
  private final EdgeMetrics metrics;
  private final Map<Stream, TopicFeed> feeds = new EnumMap<>(Stream.class); // guarded by itself
  private final Set<SseClient> open = ConcurrentHashMap.newKeySet();
  private final AtomicInteger opened = new AtomicInteger();
  private final AtomicLong ids = new AtomicLong();
  private final ThreadPoolExecutor catchUps;
  private volatile boolean closing;

  /**
   * @param clients the cluster to read, or null: the streams then answer 503 (the edge runs without
   *     Kafka)
   */
  public DashboardStreams(
      Vertx vertx,
      KafkaClients clients,
      DashboardConfig config,
      String edgeId,
      EdgeMetrics metrics) {
    this.vertx = Objects.requireNonNull(vertx, "vertx");
    this.clients = clients;
    this.config = Objects.requireNonNull(config, "config");
    this.edgeId = Objects.requireNonNull(edgeId, "edgeId");
    this.metrics = Objects.requireNonNull(metrics, "metrics");
    AtomicInteger n = new AtomicInteger();
    this.catchUps =
        new ThreadPoolExecutor(
            config.catchUpThreads(),
            config.catchUpThreads(),
            30,
            TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(), // at most one task per open client: bounded by maxClients
            r -> {
              Thread t = new Thread(r, "edge-stream-catchup-" + n.incrementAndGet() + "@" + edgeId);
              t.setDaemon(true);
              return t;
            });
    catchUps.allowCoreThreadTimeOut(true);
    metrics.streamClients(open::size);
  }

  /** Mounts {@code GET /api/streams/:stream}. */
  public void mount(Router router) {
    router.get("/api/streams/:stream").handler(this::stream);
  }

  /** Open streams. */
  public int clients() {
    return open.size();
  }

  /** Clients reading a stream live from its shared tail (0 when the tail is not started). */
  public int liveClients(Stream stream) {
    TopicFeed f;
    synchronized (feeds) {
      f = feeds.get(stream);
    }
    return f == null ? 0 : f.liveClients();
  }

  private void stream(RoutingContext ctx) {
    StreamRequest request;
    try {
      request =
          StreamRequest.parse(
              ctx.pathParam("stream"), ctx.queryParams(), ctx.request().getHeader("last-event-id"));
    } catch (EdgeException e) {
      error(ctx, e.status(), e.getMessage());
      return;
    }
    if (clients == null) {
      error(ctx, 503, "event streams need Kafka, which this edge does not use");
      return;
    }
    if (closing) {
      error(ctx, 503, "the edge is closing");
      return;
    }
    if (opened.incrementAndGet() > config.maxClients()) {
      opened.decrementAndGet();
      ctx.response().putHeader("retry-after", "5");
      error(ctx, 503, "too many open streams: this edge serves at most " + config.maxClients());
      return;
    }
    HttpServerResponse response = ctx.response();
    response
        .setChunked(true)
        .putHeader("content-type", SSE)
        .putHeader("cache-control", "no-cache")
        .putHeader("x-accel-buffering", "no");
    String description =
        ctx.request().uri()
            + " #"
            + ids.incrementAndGet()
            + " from "
            + ctx.request().remoteAddress();
    Context context = vertx.getOrCreateContext();
    SseClient client =
        new SseClient(
            vertx,
            context,
            response,
            ctx.request().connection(),
            request,
            config.clientBuffer(),
            description,
            this::closed);
    open.add(client);
    response.closeHandler(v -> client.close(SseClient.CloseReason.GONE));
    response.exceptionHandler(e -> client.close(SseClient.CloseReason.GONE));
    // the headers go out at once (EventSource's "open"), with the reconnection delay
    response.write(Buffer.buffer("retry: 2000\n: streamforge " + request.streams() + "\n\n"));
    client.startHeartbeat(config.heartbeat());

    Map<Stream, TopicFeed> behind = new EnumMap<>(Stream.class);
    for (Stream s : request.streams()) {
      TopicFeed feed = feed(s);
      if (request.catchesUp(s)) {
        behind.put(s, feed);
      } else {
        feed.subscribeLatest(client);
      }
    }
    if (!behind.isEmpty()) {
      try {
        catchUps.execute(
            new CatchUp(
                client,
                behind,
                clients,
                "streamforge-" + edgeId + "-catchup",
                config.stallTimeout(),
                () -> closing));
      } catch (RejectedExecutionException e) {
        client.close(SseClient.CloseReason.SHUTDOWN); // the edge is closing
      }
    }
  }

  private void closed(SseClient client, SseClient.CloseReason reason) {
    open.remove(client);
    opened.decrementAndGet();
    if (reason == SseClient.CloseReason.SLOW || reason == SseClient.CloseReason.STALLED) {
      metrics.streamDropped(reason.name().toLowerCase());
    }
  }

  /** The running tail of a stream, started (again, if the last one stopped) when needed. */
  private TopicFeed feed(Stream s) {
    synchronized (feeds) {
      TopicFeed f = feeds.get(s);
      if (f == null || f.isStopped()) {
        f =
            new TopicFeed(
                s,
                clients,
                "streamforge-" + edgeId + "-stream-" + s.id(),
                "edge-stream-" + s.id() + "@" + edgeId,
                c -> c.close(SseClient.CloseReason.SLOW));
        feeds.put(s, f);
        f.start();
      }
      return f;
    }
  }

  private static void error(RoutingContext ctx, int status, String message) {
    ctx.response()
        .setStatusCode(status)
        .putHeader("content-type", "application/json")
        .end(new JsonObject().put("error", message).toBuffer());
  }

  /**
   * Ends every stream (their browsers reconnect to another edge, or to this one when it is back),
   * stops the tails and the catch-up readers.
   */
  @Override
  public void close() {
    closing = true;
    for (SseClient c : List.copyOf(open)) {
      c.close(SseClient.CloseReason.SHUTDOWN);
    }
    List<TopicFeed> running;
    synchronized (feeds) {
      running = new ArrayList<>(feeds.values());
      feeds.clear();
    }
    running.forEach(TopicFeed::close);
    catchUps.shutdownNow();
    try {
      if (!catchUps.awaitTermination(10, TimeUnit.SECONDS)) {
        log.warn("stream catch-up readers still running after 10 s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
