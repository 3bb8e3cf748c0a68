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
import io.vertx.core.buffer.Buffer;
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
                  // Workers first: a queued request may still hand its row to the batcher, whose
                  // timer must accept it; then the timer, after its last flush.
                  workers.shutdown();
                  workers.awaitTermination(10, TimeUnit.SECONDS);
                  batchTimer.shutdown();
                  batchTimer.awaitTermination(5, TimeUnit.SECONDS);
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
    Integer version;
    Lease lease;
    try {
      if (!ready.getAsBoolean()) {
        throw EdgeException.unavailable("not ready: models are still loading");
      }
      version = version(ctx);
      lease = repository.acquire(name, version, h -> ctx.request().getHeader(h));
    } catch (EdgeException e) {
      metrics.request(name, null, e.status(), System.nanoTime() - t0);
      error(ctx, e.status(), e.getMessage());
      return;
    }
    Buffer body = ctx.body().buffer();
    Context context = vertx.getOrCreateContext();
    ModelSession primary = lease.primary();
    inFlight.incrementAndGet();
    try {
      workers.execute(
          () -> {
            InferenceCodec.Request request;
            try {
              request = InferenceCodec.decode(body, primary);
            } catch (RuntimeException e) {
              complete(ctx, context, name, lease, null, null, e, t0);
              return;
            }
            Batcher batcher = batcher(primary);
            int rows = batcher == null ? -1 : Batcher.rows(request, primary);
            if (rows > 0) {
              batcher.submit(
                  new Batcher.Item(
                      request,
                      rows,
                      (out, err) -> complete(ctx, context, name, lease, request, out, err, t0)));
              return;
            }
            List<Tensor> out;
            try {
              out = primary.run(request.inputs(), request.outputs());
              metrics.batch(primary.id(), 1);
            } catch (Exception e) {
              complete(ctx, context, name, lease, request, null, e, t0);
              return;
            }
            complete(ctx, context, name, lease, request, out, null, t0);
          });
    } catch (RejectedExecutionException e) {
      inFlight.decrementAndGet();
      lease.close();
      metrics.request(name, primary.id(), 503, System.nanoTime() - t0);
      ctx.response().putHeader("retry-after", "1");
      error(
          ctx,
          503,
          "overloaded: "
              + config.workerThreads()
              + " workers busy and "
              + config.queueCapacity()
              + " requests queued");
    }
  }

  /** The batcher of a model version, or null when batching is off. */
  private Batcher batcher(ModelSession session) {
    if (config.maxBatchSize() <= 1) {
      return null;
    }
    if (batchers.size() > 64) {
      batchers.keySet().removeIf(ModelSession::isClosed);
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
                metrics));
  }

  /**
   * Answers one inference (on any thread): encodes the outputs or the failure, hands the shadow
   * copy over, releases the sessions and writes the response on the request's event loop.
   */
  private void complete(
      RoutingContext ctx,
      Context context,
      String name,
      Lease lease,
      InferenceCodec.Request request,
      List<Tensor> outputs,
      Throwable failure,
      long t0) {
    ModelSession primary = lease.primary();
    ModelId id = primary.id();
    Lease rest = lease;
    int status = 200;
    Buffer response;
    try {
      if (failure != null) {
        throw failure;
      }
      response = InferenceCodec.encode(name, primary, request, select(outputs, request)).toBuffer();
      if (lease.shadow() != null) {
        rest = shadow(lease, request);
      }
    } catch (EdgeException e) {
      status = e.status();
      response = new JsonObject().put("error", e.getMessage()).toBuffer();
    } catch (Throwable e) {
      log.error("{}: inference failed", id, e);
      status = 500;
      response = new JsonObject().put("error", "inference failed: " + e.getMessage()).toBuffer();
    } finally {
      inFlight.decrementAndGet();
    }
    rest.close();
    int finalStatus = status;
    Buffer finalResponse = response;
    context.runOnContext(
        v -> {
          ctx.response()
              .setStatusCode(finalStatus)
              .putHeader("content-type", JSON)
              .putHeader(VERSION_HEADER, Integer.toString(id.version()))
              .putHeader(VARIANT_HEADER, id.variant())
              .end(finalResponse);
          metrics.request(name, id, finalStatus, System.nanoTime() - t0);
        });
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
