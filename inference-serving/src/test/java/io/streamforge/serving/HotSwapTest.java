package io.streamforge.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.streamforge.serving.model.ModelSession;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Continuous concurrent requests while 25 versions are swapped in: no response other than 200, each
 * from a version that was serving at some moment while the request was open, with that version's
 * outputs; old sessions close once drained.
 */
class HotSwapTest {
  static final int SWAPS = 25;
  static final int CLIENTS = 6;
  static final float[] ROW = {0.5f, -1.0f, 2.0f, 0.25f};

  record Answer(
      long sentNanos, long receivedNanos, int status, int version, double logit0, String body) {}

  @Test
  void swapsUnderLoadFailNoRequest() throws Exception {
    BlockedThreads loops = new BlockedThreads();
    Map<Integer, OnnxModels.Mlp> models = new ConcurrentHashMap<>();
    Map<Integer, byte[]> onnx = new ConcurrentHashMap<>();
    for (int v = 1; v <= SWAPS + 1; v++) {
      models.put(v, OnnxModels.Mlp.of(v));
      onnx.put(v, models.get(v).onnx());
    }
    // version v serves from servingFrom[v] (when its swap began) to servingUntil[v] (when the
    // next version's swap completed)
    long[] servingFrom = new long[SWAPS + 2];
    long[] servingUntil = new long[SWAPS + 2];
    List<ModelSession> sessions = new ArrayList<>();
    try (Edge edge =
        Edge.start(
            EdgeConfig.defaults().withHost("127.0.0.1").withHttpPort(0).withWorkers(2, 256),
            null,
            loops.vertx)) {
      servingFrom[1] = System.nanoTime();
      sessions.add(edge.deploy("mlp", 1, onnx.get(1), true));
      Http http = new Http(edge.port());
      String request = Http.mlpRequest(null, ROW);
      AtomicBoolean stop = new AtomicBoolean();
      List<Answer> answers = new CopyOnWriteArrayList<>();
      ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
      List<Future<?>> running = new ArrayList<>();
      for (int c = 0; c < CLIENTS; c++) {
        running.add(
            clients.submit(
                () -> {
                  while (!stop.get()) {
                    long t0 = System.nanoTime();
                    Http.Response r = http.post("/v2/models/mlp/infer", request);
                    long t1 = System.nanoTime();
                    int version = -1;
                    double logit0 = Double.NaN;
                    if (r.status() == 200) {
                      JsonObject b = r.json();
                      version = Integer.parseInt(b.getString("model_version"));
                      assertThat(r.header("x-model-version"))
                          .isEqualTo(b.getString("model_version"));
                      logit0 =
                          EdgeConformanceTest.output(b.getJsonArray("outputs"), "logits")
                              .getJsonArray("data")
                              .getDouble(0);
                    }
                    answers.add(new Answer(t0, t1, r.status(), version, logit0, r.body()));
                  }
                  return null;
                }));
      }
      Thread.sleep(200);
      for (int v = 2; v <= SWAPS + 1; v++) {
        servingFrom[v] = System.nanoTime();
        sessions.add(edge.deploy("mlp", v, onnx.get(v), true));
        servingUntil[v - 1] = System.nanoTime();
        Thread.sleep(40);
      }
      Thread.sleep(200);
      servingUntil[SWAPS + 1] = Long.MAX_VALUE;
      stop.set(true);
      for (Future<?> f : running) {
        f.get();
      }
      clients.shutdown();

      assertThat(answers.size()).isGreaterThan(SWAPS * 5);
      java.util.Set<Integer> seen = new java.util.TreeSet<>();
      for (Answer a : answers) {
        assertThat(a.status()).as(a.body()).isEqualTo(200);
        int v = a.version();
        assertThat(v).isBetween(1, SWAPS + 1);
        // served at some moment while the request was open
        assertThat(servingFrom[v])
            .as("version %d answered before it was swapped in", v)
            .isLessThanOrEqualTo(a.receivedNanos());
        assertThat(servingUntil[v])
            .as("version %d answered after it was swapped out", v)
            .isGreaterThanOrEqualTo(a.sentNanos());
        assertThat(a.logit0()).isCloseTo(models.get(v).logits(ROW)[0], within(1e-4));
        seen.add(v);
      }
      assertThat(seen.size()).as("versions seen %s", seen).isGreaterThan(SWAPS / 2);
      Http.Response last = http.post("/v2/models/mlp/infer", request);
      assertThat(last.header("x-model-version")).isEqualTo(Integer.toString(SWAPS + 1));
      // every swapped-out session has drained and closed; the serving one is open
      for (ModelSession s : sessions.subList(0, SWAPS)) {
        assertThat(s.isClosed()).as("%s closed", s).isTrue();
      }
      assertThat(sessions.get(SWAPS).isClosed()).isFalse();
      assertThat(new JsonArray(http.post("/v2/repository/index", "").body()).size())
          .isEqualTo(SWAPS + 1);
      loops.assertNoneBlocked();
    } finally {
      loops.close();
    }
  }
}
