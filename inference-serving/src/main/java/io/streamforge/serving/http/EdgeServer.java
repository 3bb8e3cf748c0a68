package io.streamforge.serving.http;

import io.streamforge.serving.EdgeConfig;
import io.streamforge.serving.EdgeException;
import io.streamforge.serving.metrics.EdgeMetrics;
import io.streamforge.serving.model.ModelId;
import io.streamforge.serving.model.ModelRepository;
import io.streamforge.serving.model.ModelRepository.Lease;
import io.streamforge.serving.model.ModelSession;
import io.streamforge.serving.model.Tensor;
import io.streamforge.serving.model.TensorSpec;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP side of the edge: Open Inference Protocol v2 routes (versioned and not), Triton's
 * repository index, {@code /metrics} and the admin API.
 *
 * <p>Event loops only route and hand over: decoding, inference and encoding run on a bounded worker
 * pool, and a request that finds the pool and its queue full is answered 503 at once.
 */
public final class EdgeServer {
  private static final Logger log = LoggerFactory.getLogger(EdgeServer.class);

  /** Response header naming the version that answered. */
  public static final String VERSION_HEADER = "x-model-version";

  /** Response header naming the variant that answered. */
  public static final String VARIANT_HEADER = "x-model-variant";

  private static final String JSON = "application/json";
  private static final CharSequence APPLICATION_JSON = HttpHeaders.createOptimized(JSON);
  private static final CharSequence VERSION = HttpHeaders.createOptimized(VERSION_HEADER);
  private static final CharSequence VARIANT = HttpHeaders.createOptimized(VARIANT_HEADER);
  private static final CharSequence RETRY_AFTER = HttpHeaders.createOptimized("retry-after");
  private static final CharSequence ONE = HttpHeaders.createOptimized("1");

  private final Vertx vertx;
  private final EdgeConfig config;
  private final ModelRepository repository;
  private final EdgeMetrics metrics;
  private final BooleanSupplier ready;
  private final Rollouts rollouts;
  private final ThreadPoolExecutor workers;
  private final AtomicInteger inFlight = new AtomicInteger();
  private final java.util.concurrent.ConcurrentHashMap<ModelSession, Batcher> batchers =
      new java.util.concurrent.ConcurrentHashMap<>();
  private final java.util.concurrent.ScheduledExecutorService batchTimer;
  private final List<java.util.function.Consumer<Router>> mounted =
      new java.util.concurrent.CopyOnWriteArrayList<>();
  private HttpServer server;

  /** Marks a model version whose signature cannot batch, so that it is checked once. */
  private static final Batcher UNBATCHABLE =
      new Batcher(null, 1, 0, null, null, null, calls -> {}, calls -> {});

  /**
   * @param rollouts the admin API's back end, or null when there is none (no Kafka)
   */
  public EdgeServer(
      Vertx vertx,
      EdgeConfig config,
      ModelRepository repository,
      BooleanSupplier ready,
      Rollouts rollouts) {
    this.vertx = Objects.requireNonNull(vertx, "vertx");
    this.config = Objects.requireNonNull(config, "config");
    this.repository = Objects.requireNonNull(repository, "repository");
    this.ready = Objects.requireNonNull(ready, "ready");
    this.rollouts = rollouts;
    AtomicInteger n = new AtomicInteger();
    this.workers =
        new ThreadPoolExecutor(
            config.workerThreads(),
            config.workerThreads(),
            60,
            TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(Math.max(1, config.queueCapacity())),
            r -> {
              Thread t = new Thread(r, "edge-infer-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            },
            new ThreadPoolExecutor.AbortPolicy());
    this.metrics = new EdgeMetrics(inFlight::get);
    this.batchTimer =
        java.util.concurrent.Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "edge-batch-timer");
              t.setDaemon(true);
              return t;
            });
  }

  public EdgeMetrics metrics() {
    return metrics;
  }

  /**
   * Adds routes (the dashboard's page and event streams) to those of the edge; call before {@link
   * #start}.
   */
  public void mount(java.util.function.Consumer<Router> routes) {
    mounted.add(Objects.requireNonNull(routes, "routes"));
  }

  /** Starts listening; the future holds the bound port. */
  public Future<Integer> start() {
    Router router = router();
    return vertx
        .createHttpServer(
            new HttpServerOptions()
                .setHost(config.host())
                .setPort(config.httpPort())
                .setCompressionSupported(false))
        .requestHandler(router)
        .listen()
        .map(
            s -> {
              server = s;
              log.info("edge listening on {}:{}", config.host(), s.actualPort());
              return s.actualPort();
            });
  }

  /** Stops listening, then lets running inferences finish. */
  public Future<Void> stop() {
    Future<Void> closed = server == null ? Future.succeededFuture() : server.close();
    return closed.eventually(
        () ->
            vertx.executeBlocking(
                () -> {
                  // The timer first: its last flushes hand waiting batches to the workers, which
                  // then finish every queued request before they stop.
                  batchTimer.shutdown();
                  batchTimer.awaitTermination(5, TimeUnit.SECONDS);
                  workers.shutdown();
                  workers.awaitTermination(10, TimeUnit.SECONDS);
                  return null;
                },
                false));
  }

  Router router() {
    Router r = Router.router(vertx);
    r.route()
        .handler(
            BodyHandler.create(false)
                .setBodyLimit(config.maxBodyBytes())
                .setHandleFileUploads(false));
    r.get("/v2").handler(this::serverMetadata);
    r.get("/v2/health/live").handler(ctx -> json(ctx, 200, new JsonObject().put("live", true)));
    r.get("/v2/health/ready").handler(this::serverReady);
    r.get("/v2/models/:name").handler(this::modelMetadata);
    r.get("/v2/models/:name/versions/:version").handler(this::modelMetadata);
    r.get("/v2/models/:name/ready").handler(this::modelReady);
    r.get("/v2/models/:name/versions/:version/ready").handler(this::modelReady);
    r.post("/v2/models/:name/infer").handler(this::infer);
    r.post("/v2/models/:name/versions/:version/infer").handler(this::infer);
    r.post("/v2/repository/index").handler(this::repositoryIndex);
    r.get("/metrics").handler(this::prometheus);
    r.post("/admin/models/:name/rollout").handler(this::rollout);
    mounted.forEach(m -> m.accept(r));
    r.route().failureHandler(this::failure);
    r.errorHandler(
        404,
        ctx -> error(ctx, 404, "no route " + ctx.request().method() + " " + ctx.request().path()));
    r.errorHandler(
        405,
        ctx ->
            error(
                ctx,
                405,
                "method " + ctx.request().method() + " not allowed on " + ctx.request().path()));
    r.errorHandler(
        413, ctx -> error(ctx, 413, "request body exceeds " + config.maxBodyBytes() + " bytes"));
    return r;
  }

  private void serverMetadata(RoutingContext ctx) {
    json(
        ctx,
        200,
        new JsonObject()
            .put("name", "streamforge-edge")
            .put(
                "version",
                EdgeServer.class.getPackage().getImplementationVersion() == null
                    ? "dev"
                    : EdgeServer.class.getPackage().getImplementationVersion())
            .put("extensions", new JsonArray().add("model_repository")));
  }

  private void serverReady(RoutingContext ctx) {
    if (ready.getAsBoolean()) {
      json(ctx, 200, new JsonObject().put("ready", true));
    } else {
      error(ctx, 503, "not ready: models are still loading");
    }
  }

  private void modelMetadata(RoutingContext ctx) {
    String name = ctx.pathParam("name");
    Integer version = version(ctx);
    ModelSession s = session(name, version);
    ModelRepository.Served served = repository.served(name).orElseThrow();
    JsonArray versions = new JsonArray();
    served.versions().forEach(v -> versions.add(Integer.toString(v)));
    ctx.response().putHeader(VERSION_HEADER, Integer.toString(s.id().version()));
    ctx.response().putHeader(VARIANT_HEADER, s.id().variant());
    json(
        ctx,
        200,
        new JsonObject()
            .put("name", name)
            .put("versions", versions)
            .put("platform", "onnxruntime_onnx")
            .put("model_version", Integer.toString(s.id().version()))
            .put("variant", s.id().variant())
            .put("inputs", specs(s.inputs()))
            .put("outputs", specs(s.outputs())));
  }

  private void modelReady(RoutingContext ctx) {
    String name = ctx.pathParam("name");
    Integer version = version(ctx);
    ModelSession s = session(name, version);
    ctx.response().putHeader(VERSION_HEADER, Integer.toString(s.id().version()));
    ctx.response().putHeader(VARIANT_HEADER, s.id().variant());
    json(
        ctx,
        200,
        new JsonObject()
            .put("name", name)
            .put("model_version", Integer.toString(s.id().version()))
            .put("ready", true));
  }

  /**
   * The version a route names (the variant the route gives it, else the base variant) or, without
   * one, the stable version and variant.
   */
  private ModelSession session(String name, Integer version) {
    ModelRepository.Served served =
        repository
            .served(name)
            .orElseThrow(() -> EdgeException.notFound("unknown model '" + name + "'"));
    if (version != null) {
      ModelSession s = served.forVersion(version, repository.baseVariant());
      if (s == null) {
        throw EdgeException.notFound("model '" + name + "' has no version " + version + " loaded");
      }
      return s;
    }
    if (served.plan() == null) {
      throw EdgeException.unavailable("model '" + name + "' has no version ready yet");
    }
    return served.loaded().get(served.plan().stableId(name, repository.baseVariant()));
  }

  private static Integer version(RoutingContext ctx) {
    String v = ctx.pathParam("version");
    if (v == null) {
      return null;
    }
    try {
      return Integer.parseInt(v);
    } catch (NumberFormatException e) {
      throw EdgeException.notFound(
          "model '" + ctx.pathParam("name") + "' has no version '" + v + "'");
    }
  }

  private static JsonArray specs(List<TensorSpec> specs) {
    JsonArray out = new JsonArray();
    for (TensorSpec s : specs) {
      JsonArray shape = new JsonArray();
      for (long d : s.shape()) {
        shape.add(d);
      }
      out.add(
          new JsonObject()
              .put("name", s.name())
              .put("datatype", s.datatype().name())
              .put("shape", shape));
    }
    return out;
  }

  private void repositoryIndex(RoutingContext ctx) {
    JsonArray out = new JsonArray();
    for (ModelRepository.VersionState s : repository.index()) {
      JsonObject o =
          new JsonObject()
              .put("name", s.model())
              .put("version", Integer.toString(s.version()))
              .put("variant", s.variant())
              .put("state", s.state());
      if (!s.reason().isEmpty()) {
        o.put("reason", s.reason());
      }
      out.add(o);
    }
    ctx.response().putHeader("content-type", JSON).setStatusCode(200).end(out.toBuffer());
  }

  private void prometheus(RoutingContext ctx) {
    ctx.response().putHeader("content-type", metrics.contentType()).end(metrics.scrape());
  }

  private void infer(RoutingContext ctx) {
    long t0 = System.nanoTime();
    String name = ctx.pathParam("name");
    Lease lease;
    try {
      if (!ready.getAsBoolean()) {
        throw EdgeException.unavailable("not ready: models are still loading");
      }
      lease = repository.acquire(name, version(ctx), h -> ctx.request().getHeader(h));
    } catch (EdgeException e) {
      metrics.request(name, null, e.status(), System.nanoTime() - t0);
      error(ctx, e.status(), e.getMessage());
      return;
    }
    InferenceCall call =
        new InferenceCall(ctx, vertx.getOrCreateContext(), name, lease, t0, ctx.body().buffer());
    inFlight.incrementAndGet();
    Batcher batcher = batcher(lease.primary());
    if (batcher != null) {
      batcher.add(call);
      return;
    }
    try {
      workers.execute(
          () -> {
            try {
              call.request = InferenceCodec.decode(call.body, call.session());
              Batcher.runAlone(call.session(), call, metrics);
            } catch (RuntimeException e) {
              call.failure = e;
            }
            answer(List.of(call));
          });
    } catch (RejectedExecutionException e) {
      refuse(List.of(call));
    }
  }

  /** The batcher of a model version, or null when batching is off or the model cannot batch. */
  private Batcher batcher(ModelSession session) {
    if (config.maxBatchSize() <= 1) {
      return null;
    }
    Batcher b = batchers.get(session);
    if (b != null) {
      return b == UNBATCHABLE ? null : b;
    }
    if (batchers.size() > 64) {
      batchers.keySet().removeIf(ModelSession::isClosed); // versions swapped out
    }
    if (!Batcher.batchable(session)) {
      batchers.putIfAbsent(session, UNBATCHABLE);
      return null;
    }
    return batchers.computeIfAbsent(
        session,
        s ->
            new Batcher(
                s,
                config.maxBatchSize(),
                config.maxBatchDelay().toNanos(),
                workers,
                batchTimer,
                metrics,
                this::answer,
                this::refuse));
  }

  /** Answers requests the worker pool had no room for: 503 with retry-after, at once. */
  private void refuse(List<InferenceCall> calls) {
    for (InferenceCall c : calls) {
      c.overloaded = true;
      c.failure =
          EdgeException.unavailable(
              "overloaded: "
                  + config.workerThreads()
                  + " workers busy and "
                  + config.queueCapacity()
                  + " requests queued");
    }
    answer(calls);
  }

  /**
   * Answers requests that have run or failed (on a worker, or on the event loop for refused ones):
   * encodes each answer and hands the shadow copies over here, then writes the answers on their
   * event loops, one hand-off per event loop, releasing each session there.
   */
  private void answer(List<InferenceCall> calls) {
    for (InferenceCall c : calls) {
      encode(c);
    }
    Context first = calls.get(0).context;
    boolean oneLoop = true;
    for (InferenceCall c : calls) {
      oneLoop &= c.context == first;
    }
    if (oneLoop) {
      first.runOnContext(v -> calls.forEach(this::respond));
      return;
    }
    java.util.Map<Context, List<InferenceCall>> byLoop = new java.util.IdentityHashMap<>();
    for (InferenceCall c : calls) {
      byLoop.computeIfAbsent(c.context, k -> new java.util.ArrayList<>()).add(c);
    }
    byLoop.forEach((context, mine) -> context.runOnContext(v -> mine.forEach(this::respond)));
  }

  /**
   * Encodes one answer (or its error) and hands the shadow copy over; the primary session is
   * released once the answer is written ({@link #respond}).
   */
  private void encode(InferenceCall c) {
    Lease rest = c.lease;
    try {
      if (c.failure != null) {
        throw c.failure;
      }
      c.response =
          InferenceCodec.encode(c.model, c.session(), c.request, select(c.outputs, c.request));
      c.status = 200;
      if (c.lease.shadow() != null) {
        rest = shadow(c.lease, c.request);
      }
    } catch (EdgeException e) {
      c.status = e.status();
      c.response = new JsonObject().put("error", e.getMessage()).toBuffer();
    } catch (Throwable e) {
      log.error("{}: inference failed", c.session().id(), e);
      c.status = 500;
      c.response = new JsonObject().put("error", "inference failed: " + e.getMessage()).toBuffer();
    } finally {
      inFlight.decrementAndGet();
    }
    c.unreleased = rest;
  }

  /**
   * Writes one answer (on its event loop), counts it, and then releases its session: a retired
   * version's series are dropped when its session closes, so only after its last request was
   * counted.
   */
  private void respond(InferenceCall c) {
    try {
      ModelId id = c.session().id();
      io.vertx.core.http.HttpServerResponse response = c.ctx.response();
      response
          .setStatusCode(c.status)
          .putHeader(HttpHeaders.CONTENT_TYPE, APPLICATION_JSON)
          .putHeader(VERSION, Integer.toString(id.version()))
          .putHeader(VARIANT, id.variant());
      if (c.overloaded) {
        response.putHeader(RETRY_AFTER, ONE);
      }
      response.end(c.response);
      metrics.request(c.model, id, c.status, System.nanoTime() - c.startNanos);
    } finally {
      c.unreleased.close();
    }
  }

  /** The requested outputs, in the requested order (all of them when none was requested). */
  private static List<Tensor> select(List<Tensor> outputs, InferenceCodec.Request request) {
    if (request.outputs().isEmpty()) {
      return outputs;
    }
    List<Tensor> out = new java.util.ArrayList<>(request.outputs().size());
    for (String name : request.outputs()) {
      for (Tensor t : outputs) {
        if (t.name().equals(name)) {
          out.add(t);
        }
      }
    }
    return out;
  }

  /**
   * Hands the canary's copy to the pool (dropped when the pool is full: shadow traffic never delays
   * or fails the real answer). Returns the lease with only the primary left to release.
   */
  private Lease shadow(Lease lease, InferenceCodec.Request request) {
    ModelSession canary = lease.shadow();
    try {
      workers.execute(
          () -> {
            long t0 = System.nanoTime();
            boolean failed = false;
            try {
              // a canary is loaded only with the stable version's signature, so the checked
              // inputs fit it as they are
              canary.run(request.inputs(), List.of());
            } catch (Exception e) {
              failed = true;
              log.debug("{}: shadow run failed: {}", canary.id(), e.toString());
            } finally {
              canary.release();
            }
            metrics.shadow(canary.id(), System.nanoTime() - t0, failed);
          });
    } catch (RejectedExecutionException e) {
      canary.release();
    }
    return new Lease(lease.primary(), null);
  }

  private void rollout(RoutingContext ctx) {
    if (config.adminToken() == null) {
      error(ctx, 404, "the admin API is disabled: no admin token is configured");
      return;
    }
    String auth = ctx.request().getHeader("authorization");
    if (auth == null
        || !auth.startsWith("Bearer ")
        || !constantTimeEquals(auth.substring(7), config.adminToken())) {
      ctx.response().putHeader("www-authenticate", "Bearer");
      error(ctx, 401, "a valid bearer token is required");
      return;
    }
    if (rollouts == null) {
      error(ctx, 503, "rollouts need Kafka (deployments topic), which this edge does not use");
      return;
    }
    JsonObject request;
    try {
      request = ctx.body().asJsonObject();
    } catch (RuntimeException e) {
      error(ctx, 400, "malformed JSON: " + e.getMessage());
      return;
    }
    if (request == null) {
      error(ctx, 400, "request body is empty");
      return;
    }
    String name = ctx.pathParam("name");
    vertx
        .executeBlocking(() -> rollouts.rollout(name, request), false)
        .onComplete(
            ar -> {
              if (ar.succeeded()) {
                json(ctx, 202, ar.result());
              } else if (ar.cause() instanceof EdgeException e) {
                error(ctx, e.status(), e.getMessage());
              } else {
                log.error("rollout of {} failed", name, ar.cause());
                error(ctx, 500, "rollout failed: " + ar.cause().getMessage());
              }
            });
  }

  private static boolean constantTimeEquals(String a, String b) {
    return MessageDigest.isEqual(
        a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
  }

  private void failure(RoutingContext ctx) {
    Throwable t = ctx.failure();
    if (t instanceof EdgeException e) {
      error(ctx, e.status(), e.getMessage());
    } else if (ctx.statusCode() == 413) {
      error(ctx, 413, "request body exceeds " + config.maxBodyBytes() + " bytes");
    } else if (ctx.statusCode() >= 400 && ctx.statusCode() < 500) {
      error(ctx, ctx.statusCode(), t == null ? "bad request" : t.getMessage());
    } else {
      log.error("{} {} failed", ctx.request().method(), ctx.request().path(), t);
      error(ctx, 500, "internal error: " + (t == null ? "unknown" : t.getMessage()));
    }
  }

  private static void json(RoutingContext ctx, int status, JsonObject body) {
    ctx.response().setStatusCode(status).putHeader("content-type", JSON).end(body.toBuffer());
  }

  private static void error(RoutingContext ctx, int status, String message) {
    if (ctx.response().ended()) {
      return;
    }
    if (ctx.response().headWritten()) {
      ctx.response().end();
      return;
    }
    json(ctx, status, new JsonObject().put("error", message == null ? "error" : message));
  }
}
