package io.streamforge.serving;

import static org.assertj.core.api.Assertions.assertThat;

import io.streamforge.arrowio.dataset.KafkaClients;
import io.streamforge.schemas.TopicAdmin;
import io.streamforge.schemas.Topics;
import io.streamforge.schemas.records.AgentMessage;
import io.streamforge.schemas.records.Deployment;
import io.streamforge.schemas.records.MetricPoint;
import io.streamforge.schemas.records.ModelEvent;
import io.streamforge.schemas.records.Phase;
import io.streamforge.schemas.records.PhaseTransition;
import io.streamforge.serving.dashboard.DashboardConfig;
import io.streamforge.serving.dashboard.Stream;
import io.streamforge.testkit.SharedKafka;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The event streams against a real broker: filters, where streams start, resuming with {@code
 * Last-Event-ID} (exactly what came after, across partitions and streams), heartbeats, slow and
 * stalled clients dropped without holding up others, and a clean close.
 */
@ExtendWith(SharedKafka.class)
class DashboardStreamsIT {
  static final Duration WAIT = Duration.ofSeconds(30);
  static KafkaClients clients;
  static KafkaProducer<String, byte[]> producer;
  static BlockedThreads loops;
  static Edge edge;
  static int port;

  @BeforeAll
  static void start() throws Exception {
    clients = KafkaClients.of(SharedKafka.cluster().bootstrapServers());
    try (Admin admin = Admin.create(clients.admin())) {
      TopicAdmin.ensure(admin, Topics.ALL);
    }
    producer = new KafkaProducer<>(clients.producer("dashboard-it"));
    loops = new BlockedThreads();
    edge = edge("dash-main", DashboardConfig.defaults().withHeartbeat(Duration.ofMillis(200)));
    port = edge.port();
  }

  @AfterAll
  static void stop() {
    edge.close();
    producer.close();
    loops.close();
  }

  @AfterEach
  void eventLoopsNeverBlocked() {
    loops.assertNoneBlocked();
  }

  static Edge edge(String id, DashboardConfig dashboard) throws Exception {
    Edge e =
        Edge.start(
            EdgeConfig.defaults()
                .withHost("127.0.0.1")
                .withHttpPort(0)
                .withEdgeId(id)
                .withModels(name -> false) // these tests stream records, they serve nothing
                .withDashboard(dashboard),
            clients,
            loops.vertx);
    assertThat(e.awaitReady(Duration.ofSeconds(60))).isTrue();
    return e;
  }

  static void send(String topic, Integer partition, String key, byte[] value) {
    try {
      producer.send(new ProducerRecord<>(topic, partition, key, value)).get();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  static void phase(String key, String workflow, Phase from, Phase to) {
    PhaseTransition t =
        new PhaseTransition(workflow, from, to, "to " + to, Instant.now(), Map.of("n", "1"));
    send(Topics.PHASES.name(), null, key, Topics.PHASES.valueSerde().serializer().serialize("", t));
  }

  static void metrics(Integer partition, String key, List<MetricPoint> points) {
    send(
        Topics.METRICS.name(),
        partition,
        key,
        Topics.METRICS.valueSerde().serializer().serialize("", points));
  }

  static MetricPoint trainer(String run, long step, String name, double value) {
    return new MetricPoint(
        "trainer", run, step, name, value, Instant.now(), Map.of("scope", "step"));
  }

  static MetricPoint edgePoint(String model, String name, double value) {
    return new MetricPoint(
        "edge",
        model + ":1",
        1,
        name,
        value,
        Instant.now(),
        Map.of("model", model, "version", "1", "variant", "fp32", "edge", "e"));
  }

  static void message(String key, String workflow, String type, String payload) {
    AgentMessage m =
        new AgentMessage(
            "m-" + System.nanoTime(),
            workflow,
            workflow,
            "optimizer",
            "*",
            AgentMessage.MessageType.EVENT,
            0,
            Instant.now(),
            type,
            payload);
    send(
        Topics.AGENT_MESSAGES.name(),
        null,
        key,
        Topics.AGENT_MESSAGES.valueSerde().serializer().serialize("", m));
  }

  static void deployment(String model, int stable, Integer canary, double weight) {
    Deployment d =
        new Deployment(
            model,
            stable,
            canary,
            weight,
            Deployment.Mode.SPLIT,
            null,
            "test",
            "it",
            Instant.now());
    send(
        Topics.DEPLOYMENTS.name(),
        null,
        model,
        Topics.DEPLOYMENTS.valueSerde().serializer().serialize("", d));
  }

  static void modelEvent(String model, int version) {
    ModelEvent e =
        new ModelEvent(
            model,
            version,
            "fp32",
            "onnx",
            ModelEvent.ModelStatus.REGISTERED,
            "00",
            10,
            Map.of("val_accuracy", 0.5 + version / 100.0),
            null,
            "job",
            "registered",
            Instant.now());
    send(
        Topics.MODELS.name(),
        null,
        e.key(),
        Topics.MODELS.valueSerde().serializer().serialize("", e));
  }

  static List<String> field(List<SseStream.Event> events, String name) {
    return events.stream().map(e -> new JsonObject(e.data()).getString(name)).toList();
  }

  /** The (run, name) of every point of metrics events. */
  static List<String> points(List<SseStream.Event> events) {
    List<String> out = new ArrayList<>();
    for (SseStream.Event e : events) {
      assertThat(e.name()).isEqualTo("metrics");
      for (Object o : new JsonArray(e.data())) {
        JsonObject p = (JsonObject) o;
        out.add(p.getString("run") + "/" + p.getString("name"));
      }
    }
    return out;
  }

  static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(20);
    }
  }

  @Test
  void phasesOfOneWorkflowFromTheBeginningThenLive(SharedKafka.Cluster cluster) throws Exception {
    String a = cluster.uniqueName("wf");
    String b = cluster.uniqueName("wf");
    // b's transitions share a's key (so a's partition): the filter reads the records, not keys,
    // and one partition makes the order, and so the absence of b's, certain
    phase(a, a, null, Phase.ANALYZE);
    phase(a, b, null, Phase.ANALYZE);
    phase(a, a, Phase.ANALYZE, Phase.PREPROCESS);
    phase(a, a, Phase.PREPROCESS, Phase.DESIGN);
    try (SseStream s = SseStream.open(port, "/api/streams/phases?workflow=" + a)) {
      assertThat(s.status()).isEqualTo(200);
      assertThat(s.header("content-type")).startsWith("text/event-stream");
      assertThat(s.header("cache-control")).isEqualTo("no-cache");
      List<SseStream.Event> history = s.take(3, WAIT);
      assertThat(history).extracting(SseStream.Event::name).containsOnly("phase");
      assertThat(field(history, "to")).containsExactly("ANALYZE", "PREPROCESS", "DESIGN");
      assertThat(field(history, "workflowId")).containsOnly(a);
      assertThat(field(history, "from")).containsExactly(null, "ANALYZE", "PREPROCESS");
      assertThat(new JsonObject(history.get(0).data()).getJsonObject("artifacts").getString("n"))
          .isEqualTo("1");

      phase(a, b, Phase.ANALYZE, Phase.FAILED);
      phase(a, a, Phase.DESIGN, Phase.SEARCH);
      phase(a, a, Phase.SEARCH, Phase.TRAIN);
      List<SseStream.Event> live = s.take(2, WAIT);
      assertThat(field(live, "to")).containsExactly("SEARCH", "TRAIN");
      assertThat(live.get(1).id()).startsWith("phases:");
    }
  }

  @Test
  void metricsByWorkflowRunAndModel(SharedKafka.Cluster cluster) throws Exception {
    String w = cluster.uniqueName("wf");
    String other = w + "9"; // shares w as a prefix, but not "w."
    String m = cluster.uniqueName("model");
    String key = cluster.uniqueName("key"); // one partition: a certain order
    metrics(
        null,
        key,
        List.of(
            trainer(w + ".trial-1", 1, "loss", 0.9), trainer(other + ".trial-1", 1, "loss", 1)));
    metrics(null, key, List.of(trainer(w + ".final", 1, "val_accuracy", 0.8)));
    metrics(
        null,
        key,
        List.of(edgePoint(m, "request_count", 5), edgePoint(m + "x", "request_count", 7)));
    metrics(
        null, key, List.of(trainer(other + ".final", 2, "loss", 0.5), trainer(w, 2, "loss", 0.5)));
    metrics(null, key, List.of(trainer(w + ".final", 9, "end", 0), edgePoint(m, "end", 0)));

    try (SseStream byWorkflow = SseStream.open(port, "/api/streams/metrics?workflow=" + w);
        SseStream byRun = SseStream.open(port, "/api/streams/metrics?run=" + w + ".final");
        SseStream byModel = SseStream.open(port, "/api/streams/metrics?model=" + m);
        SseStream both =
            SseStream.open(
                port, "/api/streams/metrics?workflow=" + other + "&model=" + m + "&source=edge")) {
      assertThat(points(byWorkflow.take(3, WAIT)))
          .containsExactly(w + ".trial-1/loss", w + ".final/val_accuracy", w + ".final/end");
      assertThat(points(byRun.take(2, WAIT)))
          .containsExactly(w + ".final/val_accuracy", w + ".final/end");
      assertThat(points(byModel.take(2, WAIT)))
          .containsExactly(m + ":1/request_count", m + ":1/end");
      // filters of different names all apply: no point above is an edge point of model m in a
      // run of workflow other, and neither is other's trainer point below
      metrics(null, key, List.of(trainer(other + ".trial-2", 3, "end", 0)));
      metrics(
          null,
          key,
          List.of(
              new MetricPoint(
                  "edge", other + ".x", 1, "end", 0, Instant.now(), Map.of("model", m))));
      assertThat(points(both.take(1, WAIT))).containsExactly(other + ".x/end");
    }
  }

  @Test
  void trialsCarryTrialAndDebuggerPayloadsVerbatim(SharedKafka.Cluster cluster) throws Exception {
    String w = cluster.uniqueName("wf");
    String trial1 =
        "{\"trialId\":\"trial-001\",\"jobId\":\"" + w + ".trial-1\",\"status\":\"RUNNING\"}";
    String debug = "{\"jobId\":\"" + w + ".trial-1\",\"action\":\"lower-lr\",\"step\":40}";
    String trial2 =
        "{\"trialId\":\"trial-001\",\"jobId\":\"" + w + ".trial-1\",\"status\":\"DONE\"}";
    message(w, w, "trial", trial1);
    message(w, w, "requirements", "{\"task\":\"classification\"}");
    message(w, w + "-other", "trial", "{\"trialId\":\"trial-009\"}");
    message(w, w, "debug-action", debug);
    message(w, w, "trial", trial2);
    try (SseStream s = SseStream.open(port, "/api/streams/trials?workflow=" + w)) {
      List<SseStream.Event> events = s.take(3, WAIT);
      assertThat(events)
          .extracting(SseStream.Event::name)
          .containsExactly("trial", "debug-action", "trial");
      assertThat(events).extracting(SseStream.Event::data).containsExactly(trial1, debug, trial2);
    }
  }

  @Test
  void deploymentsAndModelsOfOneModel(SharedKafka.Cluster cluster) throws Exception {
    String m = cluster.uniqueName("model");
    deployment(m, 1, null, 0);
    deployment(m + "x", 1, null, 0);
    deployment(m, 1, 2, 25);
    modelEvent(m, 1);
    modelEvent(m + "x", 1);
    modelEvent(m, 2);
    try (SseStream d = SseStream.open(port, "/api/streams/deployments?model=" + m);
        SseStream r = SseStream.open(port, "/api/streams/models?model=" + m)) {
      List<SseStream.Event> deployments = d.take(2, WAIT);
      assertThat(deployments).extracting(SseStream.Event::name).containsOnly("deployment");
      assertThat(field(deployments, "model")).containsOnly(m);
      JsonObject canary = new JsonObject(deployments.get(1).data());
      assertThat(canary.getInteger("stableVersion")).isEqualTo(1);
      assertThat(canary.getInteger("canaryVersion")).isEqualTo(2);
      assertThat(canary.getDouble("canaryWeight")).isEqualTo(25.0);
      List<SseStream.Event> models = r.take(2, WAIT);
      assertThat(models).extracting(SseStream.Event::name).containsOnly("model");
      assertThat(field(models, "key")).containsExactly(m + ":1:fp32", m + ":2:fp32");

      deployment(m, 2, null, 0); // promoted: arrives live
      JsonObject promoted = new JsonObject(d.next(WAIT).data());
      assertThat(promoted.getInteger("stableVersion")).isEqualTo(2);
      assertThat(promoted.getValue("canaryVersion")).isNull();
    }
  }

  @Test
  void resumingAfterAnEventIdDeliversExactlyWhatCameAfter(SharedKafka.Cluster cluster)
      throws Exception {
    String w = cluster.uniqueName("wf");
    String[] runs = {w + ".trial-1", w + ".trial-2", w + ".trial-3", w + ".final"};
    // batch i: one point with step i, on partition i % 3
    for (int i = 0; i < 30; i++) {
      metrics(i % 3, runs[i % 4], List.of(trainer(runs[i % 4], i, "loss", i / 10.0)));
    }
    String path = "/api/streams/metrics?workflow=" + w;
    List<SseStream.Event> first;
    try (SseStream s = SseStream.open(port, path)) {
      first = s.take(12, WAIT);
    }
    String resumeAfter = first.get(11).id();
    assertThat(resumeAfter).startsWith("metrics:"); // a partition not read yet: from its beginning
    for (int i = 30; i < 50; i++) {
      metrics(i % 3, runs[i % 4], List.of(trainer(runs[i % 4], i, "loss", i / 10.0)));
    }

    List<SseStream.Event> rest;
    try (SseStream s = SseStream.open(port, path, resumeAfter)) {
      rest = s.take(38, WAIT);
      // what is next is exactly what is produced next: nothing was left over
      for (int i = 50; i < 53; i++) {
        metrics(i % 3, runs[i % 4], List.of(trainer(runs[i % 4], i, "loss", 0)));
      }
      assertThat(steps(s.take(3, WAIT))).containsExactlyInAnyOrder(50L, 51L, 52L);
    }
    List<Long> seen = new ArrayList<>(steps(first));
    seen.addAll(steps(rest));
    assertThat(seen).doesNotHaveDuplicates();
    assertThat(seen)
        .containsExactlyInAnyOrderElementsOf(
            IntStream.range(0, 50).mapToObj(i -> (long) i).toList());
    // per partition, in order
    Map<Long, List<Long>> byPartition = new HashMap<>();
    for (long step : steps(rest)) {
      byPartition.computeIfAbsent(step % 3, k -> new ArrayList<>()).add(step);
    }
    byPartition.values().forEach(l -> assertThat(l).isSorted());

    // the query parameter does the same (for EventSource's first connection) ...
    try (SseStream s = SseStream.open(port, path + "&lastEventId=" + resumeAfter)) {
      assertThat(steps(s.take(41, WAIT)))
          .containsExactlyInAnyOrderElementsOf(
              IntStream.range(0, 53)
                  .mapToObj(i -> (long) i)
                  .filter(i -> !steps(first).contains(i))
                  .toList());
    }
    // ... and the header, sent by EventSource on reconnecting, wins over it
    String latest;
    try (SseStream s = SseStream.open(port, path)) {
      latest = s.take(53, WAIT).get(52).id();
    }
    try (SseStream s = SseStream.open(port, path + "&lastEventId=" + resumeAfter, latest)) {
      metrics(0, runs[0], List.of(trainer(runs[0], 99, "loss", 0)));
      assertThat(steps(List.of(s.next(WAIT)))).containsExactly(99L);
    }
  }

  static List<Long> steps(List<SseStream.Event> events) {
    List<Long> out = new ArrayList<>();
    for (SseStream.Event e : events) {
      for (Object o : new JsonArray(e.data())) {
        out.add(((JsonObject) o).getLong("step"));
      }
    }
    return out;
  }

  @Test
  void fromLatestSendsOnlyWhatComesNext(SharedKafka.Cluster cluster) throws Exception {
    String w = cluster.uniqueName("wf");
    phase(w, w, null, Phase.ANALYZE);
    phase(w, w, Phase.ANALYZE, Phase.PREPROCESS);
    int before = edge.streams().liveClients(Stream.PHASES);
    try (SseStream s = SseStream.open(port, "/api/streams/phases?from=latest&workflow=" + w)) {
      await(
          "the stream reading live", () -> edge.streams().liveClients(Stream.PHASES) == before + 1);
      phase(w, w, Phase.PREPROCESS, Phase.DESIGN);
      phase(w, w, Phase.DESIGN, Phase.SEARCH);
      assertThat(field(s.take(2, WAIT), "to")).containsExactly("DESIGN", "SEARCH");
    }
  }

  @Test
  void severalStreamsOnOneConnectionResumeTogether(SharedKafka.Cluster cluster) throws Exception {
    String w = cluster.uniqueName("wf");
    String m = cluster.uniqueName("model");
    phase(w, w, null, Phase.ANALYZE);
    deployment(m, 1, null, 0);
    String path = "/api/streams/all?include=phases,deployments&workflow=" + w + "&model=" + m;
    String last;
    try (SseStream s = SseStream.open(port, path)) {
      List<SseStream.Event> events = s.take(2, WAIT);
      assertThat(events)
          .extracting(SseStream.Event::name)
          .containsExactlyInAnyOrder("phase", "deployment");
      last = events.get(1).id();
      assertThat(last).contains("phases:", "deployments:", "~");
    }
    deployment(m, 1, 2, 10);
    phase(w, w, Phase.ANALYZE, Phase.PREPROCESS);
    try (SseStream s = SseStream.open(port, path, last)) {
      List<SseStream.Event> events = s.take(2, WAIT);
      assertThat(events)
          .extracting(SseStream.Event::name)
          .containsExactlyInAnyOrder("phase", "deployment");
      for (SseStream.Event e : events) {
        JsonObject o = new JsonObject(e.data());
        if (e.name().equals("phase")) {
          assertThat(o.getString("to")).isEqualTo("PREPROCESS");
        } else {
          assertThat(o.getInteger("canaryVersion")).isEqualTo(2);
        }
      }
    }
  }

  @Test
  void idleStreamsGetHeartbeats(SharedKafka.Cluster cluster) throws Exception {
    try (SseStream s =
        SseStream.open(port, "/api/streams/deployments?model=" + cluster.uniqueName("none"))) {
      await("a heartbeat", () -> s.comments.contains("heartbeat"));
      assertThat(s.eventCount()).isZero();
    }
  }

  @Test
  void slowAndStalledClientsAreDroppedWithoutHoldingUpOthers(SharedKafka.Cluster cluster)
      throws Exception {
    String run = cluster.uniqueName("slow") + ".trial-1";
    int batches = 300;
    try (Edge small =
        edge(
            cluster.uniqueName("dash-slow"),
            DashboardConfig.defaults()
                .withClientBuffer(32)
                .withStallTimeout(Duration.ofSeconds(2))
                .withCatchUpThreads(2))) {
      Http http = new Http(small.port());
      String path = "/api/streams/metrics?run=" + run;
      SseStream slow = SseStream.openUnread(small.port(), path + "&from=latest");
      try (SseStream fast = SseStream.open(small.port(), path + "&from=latest")) {
        await("both streams reading live", () -> small.streams().liveClients(Stream.METRICS) == 2);
        // in groups that the reading client takes before the next: it never falls behind, while
        // the one that does not read falls further behind with every group
        List<SseStream.Event> all = new ArrayList<>();
        for (int from = 0; from < batches; from += 20) {
          produceBig(run, from, from + 20);
          all.addAll(fast.take(20, WAIT));
        }
        assertThat(steps(all).stream().distinct().toList())
            .containsExactlyElementsOf(
                IntStream.range(0, batches).mapToObj(i -> (long) i).toList());
        // (reading it only once it was dropped: reading would make room)
        await("the slow client dropped", () -> scrape(http).contains(DROPS + "\"slow\"} 1.0"));
        assertThat(slow.drainUntilClosed(WAIT)).as("the slow client was disconnected").isTrue();
        assertThat(slow.eventCount()).isLessThan(batches);
      } finally {
        slow.close();
      }

      // reading history: a client that does not read is dropped after the stall timeout, while
      // another one reads all of it
      SseStream stalled = SseStream.openUnread(small.port(), path);
      try (SseStream reader = SseStream.open(small.port(), path)) {
        assertThat(steps(reader.take(batches, Duration.ofSeconds(90))).stream().distinct().count())
            .isEqualTo(batches);
        await(
            "the stalled client dropped", () -> scrape(http).contains(DROPS + "\"stalled\"} 1.0"));
        assertThat(stalled.drainUntilClosed(WAIT))
            .as("the stalled client was disconnected")
            .isTrue();
        assertThat(stalled.eventCount()).isLessThan(batches);
      } finally {
        stalled.close();
      }
      await("no stream left open", () -> small.streams().clients() == 0);
    }
  }

  static final String DROPS = "streamforge_edge_stream_drops_total{reason=";

  static String scrape(Http http) {
    try {
      return http.get("/metrics").body();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  /** Batches {@code [from, to)} of 150 points (about 30 KB of JSON each), on one partition. */
  static void produceBig(String run, int from, int to) throws Exception {
    String pad = "x".repeat(60);
    List<java.util.concurrent.Future<?>> sent = new ArrayList<>();
    for (int i = from; i < to; i++) {
      List<MetricPoint> points = new ArrayList<>(150);
      for (int j = 0; j < 150; j++) {
        points.add(
            new MetricPoint("trainer", run, i, "loss", j, Instant.now(), Map.of("pad", pad)));
      }
      sent.add(
          producer.send(
              new ProducerRecord<>(
                  Topics.METRICS.name(),
                  0,
                  run,
                  Topics.METRICS.valueSerde().serializer().serialize("", points))));
    }
    for (var f : sent) {
      f.get();
    }
  }

  @Test
  void closingTheEdgeEndsItsStreamsAndStopsItsReaders(SharedKafka.Cluster cluster)
      throws Exception {
    String id = cluster.uniqueName("dash-close");
    Edge e = edge(id, DashboardConfig.defaults());
    SseStream history = SseStream.open(e.port(), "/api/streams/all");
    SseStream live = SseStream.open(e.port(), "/api/streams/phases?from=latest");
    await("a stream reading live", () -> e.streams().liveClients(Stream.PHASES) == 1);
    await(
        "the stream readers running",
        () ->
            Thread.getAllStackTraces().keySet().stream()
                .anyMatch(t -> t.getName().endsWith("@" + id)));
    e.close();
    assertThat(history.awaitEnd(WAIT)).isTrue();
    assertThat(live.awaitEnd(WAIT)).isTrue();
    history.close();
    live.close();
    Set<String> left = new HashSet<>();
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t.isAlive() && t.getName().endsWith("@" + id)) {
        left.add(t.getName());
      }
    }
    assertThat(left).isEmpty();
    assertThat(e.streams().clients()).isZero();
  }
}
