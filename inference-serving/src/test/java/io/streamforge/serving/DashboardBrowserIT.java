package io.streamforge.serving;

import static org.assertj.core.api.Assertions.assertThat;

import io.streamforge.arrowio.dataset.KafkaClients;
import io.streamforge.arrowio.models.ModelArtifacts;
import io.streamforge.schemas.TopicAdmin;
import io.streamforge.schemas.Topics;
import io.streamforge.schemas.records.AgentMessage;
import io.streamforge.schemas.records.Deployment;
import io.streamforge.schemas.records.MetricPoint;
import io.streamforge.schemas.records.ModelEvent;
import io.streamforge.schemas.records.Phase;
import io.streamforge.schemas.records.PhaseTransition;
import io.streamforge.testkit.SharedKafka;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import java.util.logging.Level;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;

/**
 * The dashboard in a real headless browser (Debian's {@code chromium} driven through {@code
 * chromium-driver} by Selenium) against an edge on a real broker: the page loads, a training curve
 * grows while metrics are produced, the trials and the registry fill in, and rollout changes (a new
 * {@code deployments} record, then the page's own controls through the admin API) appear, with live
 * per-version request rates from the edge's metrics.
 *
 * <p>Without chromium and chromedriver the test is skipped, unless {@code
 * STREAMFORGE_REQUIRE_BROWSER} is set (CI sets it): then it fails. {@code STREAMFORGE_CHROMIUM} and
 * {@code STREAMFORGE_CHROMEDRIVER} override where they are looked for.
 */
@ExtendWith(SharedKafka.class)
class DashboardBrowserIT {
  static final Duration WAIT = Duration.ofSeconds(30);
  static final String TOKEN = "browser-it-" + UUID.randomUUID();
  static final float[] ROW = {0.5f, -1.0f, 2.0f, 0.25f};

  static KafkaClients clients;
  static KafkaProducer<String, byte[]> producer;
  static BlockedThreads loops;
  static Edge edge;
  static String base;
  static String model;
  static ChromeDriver driver;
  static Path profile;
  static String missing;
  // Selenium warns that it has no DevTools (CDP) support for this Chromium: the test does not use
  // CDP, only WebDriver. Held here so the setting is not collected with the logger.
  static final java.util.logging.Logger SELENIUM_LOG =
      java.util.logging.Logger.getLogger("org.openqa.selenium");

  @BeforeAll
  static void start() throws Exception {
    File chromium = find("STREAMFORGE_CHROMIUM", "/usr/bin/chromium", "/usr/bin/chromium-browser");
    File chromedriver =
        find("STREAMFORGE_CHROMEDRIVER", "/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver");
    if (chromium == null || chromedriver == null) {
      String why =
          "the browser test needs Debian's chromium and chromium-driver (apt-get install chromium"
              + " chromium-driver); found chromium: "
              + chromium
              + ", chromedriver: "
              + chromedriver;
      String required = System.getenv("STREAMFORGE_REQUIRE_BROWSER");
      if (required != null && !required.isBlank()) {
        Assertions.fail(why + " (STREAMFORGE_REQUIRE_BROWSER is set, so this is a failure)");
      }
      missing = why; // each test reports itself skipped, with the reason
      return;
    }

    clients = KafkaClients.of(SharedKafka.cluster().bootstrapServers());
    try (Admin admin = Admin.create(clients.admin())) {
      TopicAdmin.ensure(admin, Topics.ALL);
    }
    producer = new KafkaProducer<>(clients.producer("dashboard-browser-it"));
    loops = new BlockedThreads();
    String prefix = SharedKafka.cluster().uniqueName("browser");
    model = prefix + "-mlp";
    publish(model, 1);
    publish(model, 2);
    deployment(model, 1, null, 0, "initial");
    edge =
        Edge.start(
            EdgeConfig.defaults()
                .withHost("127.0.0.1")
                .withHttpPort(0)
                .withEdgeId(prefix)
                .withWorkers(2, 64)
                .withAdminToken(TOKEN)
                .withMetricsPeriod(Duration.ofMillis(300))
                .withModels(name -> name.startsWith(prefix)),
            clients,
            loops.vertx);
    assertThat(edge.awaitReady(Duration.ofSeconds(60))).isTrue();
    base = "http://127.0.0.1:" + edge.port();

    SELENIUM_LOG.setLevel(Level.SEVERE);
    profile = Files.createTempDirectory("streamforge-chromium-");
    ChromeOptions options = new ChromeOptions();
    options.setBinary(chromium);
    options.addArguments(
        "--headless=new",
        "--no-sandbox", // root in containers
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--no-first-run",
        "--window-size=1400,2000",
        "--user-data-dir=" + profile);
    options.setCapability("goog:loggingPrefs", Map.of("browser", "ALL"));
    ChromeDriverService service =
        new ChromeDriverService.Builder()
            .usingDriverExecutable(chromedriver)
            .usingAnyFreePort()
            .build();
    driver = new ChromeDriver(service, options);
    driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(10));
  }

  @AfterAll
  static void stop() throws Exception {
    if (driver != null) {
      driver.quit();
    }
    if (edge != null) {
      edge.close();
    }
    if (producer != null) {
      producer.close();
    }
    if (loops != null) {
      loops.close();
    }
    if (profile != null) {
      try (var files = Files.walk(profile)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  @BeforeEach
  void browserPresent() {
    Assumptions.assumeTrue(missing == null, missing);
  }

  @AfterEach
  void noBlockedLoopsNoBrowserErrors() {
    if (driver == null) {
      return;
    }
    loops.assertNoneBlocked();
    List<String> severe = new ArrayList<>();
    for (LogEntry e : driver.manage().logs().get(LogType.BROWSER)) {
      // the one expected error: the refused rollback's 400, which the page reports itself
      boolean refusal = e.getMessage().contains("/rollout") && e.getMessage().contains("400");
      if (e.getLevel().intValue() >= Level.SEVERE.intValue() && !refusal) {
        severe.add(e.getMessage());
      }
    }
    assertThat(severe)
        .as("errors in the browser console (script errors, CSP violations)")
        .isEmpty();
  }

  static File find(String env, String... candidates) {
    String override = System.getenv(env);
    if (override != null && !override.isBlank()) {
      File f = new File(override);
      return f.canExecute() ? f : null;
    }
    for (String c : candidates) {
      File f = new File(c);
      if (f.canExecute()) {
        return f;
      }
    }
    return null;
  }

  // ---- Kafka records ---------------------------------------------------------------------------

  static void send(String topic, String key, byte[] value) {
    try {
      producer.send(new ProducerRecord<>(topic, key, value)).get();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  static void publish(String model, int version) {
    byte[] onnx = OnnxModels.Mlp.of(version).onnx();
    String sha =
        ModelArtifacts.publish(
            producer, Topics.MODEL_ARTIFACTS.partitions(), model, version, "fp32", onnx);
    ModelEvent e =
        new ModelEvent(
            model,
            version,
            "fp32",
            "onnx",
            ModelEvent.ModelStatus.REGISTERED,
            sha,
            onnx.length,
            Map.of("val_accuracy", 0.9 + version / 100.0),
            null,
            "job-" + version,
            "trained",
            Instant.now());
    send(Topics.MODELS.name(), e.key(), Topics.MODELS.valueSerde().serializer().serialize("", e));
  }

  static void deployment(String model, int stable, Integer canary, double weight, String why) {
    Deployment d =
        new Deployment(
            model, stable, canary, weight, Deployment.Mode.SPLIT, null, "test", why, Instant.now());
    send(
        Topics.DEPLOYMENTS.name(),
        model,
        Topics.DEPLOYMENTS.valueSerde().serializer().serialize("", d));
  }

  static void phases(String workflow, Phase... to) {
    Phase from = null;
    for (Phase p : to) {
      PhaseTransition t =
          new PhaseTransition(workflow, from, p, "entered " + p, Instant.now(), Map.of());
      send(
          Topics.PHASES.name(), workflow, Topics.PHASES.valueSerde().serializer().serialize("", t));
      from = p;
    }
  }

  static void trial(String workflow, String status, Double value) {
    String payload =
        "{\"trialId\":\"trial-001\",\"index\":1,\"jobId\":\""
            + workflow
            + ".trial-1\",\"description\":\"mlp 64x2\",\"status\":\""
            + status
            + "\",\"value\":"
            + value
            + ",\"startedAtMs\":1000,\"endedAtMs\":"
            + (value == null ? "null" : "4000")
            + "}";
    AgentMessage m =
        new AgentMessage(
            UUID.randomUUID().toString(),
            workflow,
            workflow,
            "optimizer",
            "*",
            AgentMessage.MessageType.EVENT,
            0,
            Instant.now(),
            "trial",
            payload);
    send(
        Topics.AGENT_MESSAGES.name(),
        workflow,
        Topics.AGENT_MESSAGES.valueSerde().serializer().serialize("", m));
  }

  static void losses(String run, int fromStep, int toStep) {
    List<MetricPoint> points = new ArrayList<>();
    for (int s = fromStep; s <= toStep; s++) {
      points.add(
          new MetricPoint(
              "trainer",
              run,
              s,
              "loss",
              2.0 / s,
              Instant.now(),
              Map.of("scope", "step", "epoch", "1")));
    }
    send(
        Topics.METRICS.name(), run, Topics.METRICS.valueSerde().serializer().serialize("", points));
  }

  static void epochEnd(String run, int step, int epoch, double valAccuracy) {
    Map<String, String> labels = Map.of("scope", "epoch");
    List<MetricPoint> points =
        List.of(
            new MetricPoint("trainer", run, step, "epoch", epoch, Instant.now(), labels),
            new MetricPoint(
                "trainer", run, step, "val_accuracy", valAccuracy, Instant.now(), labels));
    send(
        Topics.METRICS.name(), run, Topics.METRICS.valueSerde().serializer().serialize("", points));
  }

  // ---- the page --------------------------------------------------------------------------------

  static Object js(String script, Object... args) {
    return ((JavascriptExecutor) driver).executeScript(script, args);
  }

  /** An attribute of the first element matching a selector, or null (no stale elements). */
  static String attr(String selector, String attribute) {
    return (String)
        js(
            "const e = document.querySelector(arguments[0]);"
                + " return e ? e.getAttribute(arguments[1]) : null;",
            selector,
            attribute);
  }

  static String text(String selector) {
    return (String)
        js(
            "const e = document.querySelector(arguments[0]); return e ? e.textContent : null;",
            selector);
  }

  static void await(String what, Supplier<Boolean> condition) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (true) {
      try {
        if (Boolean.TRUE.equals(condition.get())) {
          return;
        }
      } catch (StaleElementReferenceException e) {
        // the page re-rendered: look again
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what + " on " + driver.getCurrentUrl());
      }
      Thread.sleep(100);
    }
  }

  static void awaitAttr(String selector, String attribute, String expected)
      throws InterruptedException {
    await(
        selector + " [" + attribute + "=" + expected + "] (now " + attr(selector, attribute) + ")",
        () -> Objects.equals(attr(selector, attribute), expected));
  }

  /** Clicks, again if the page re-rendered the element in between. */
  static void click(String selector) throws InterruptedException {
    await(
        "a click on " + selector,
        () -> {
          driver.findElement(By.cssSelector(selector)).click();
          return true;
        });
  }

  /** A digest of the canvas' pixels, to tell that it was drawn again. */
  static long canvasDigest(String id) {
    return ((Number)
            js(
                "const c = document.getElementById(arguments[0]);"
                    + " const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
                    + " let h = 0, inked = 0;"
                    + " for (let i = 0; i < d.length; i += 4) {"
                    + "   if (d[i + 3] !== 0) { inked++; h = (h * 31 + d[i] + 7 * d[i + 1] + 13 * d[i + 2] + i) % 1000000007; }"
                    + " }"
                    + " return inked === 0 ? 0 : h;",
                id))
        .longValue();
  }

  /**
   * Saves a screenshot when the system property {@code dashboard.screenshots} names a directory
   * (for looking at the page, and for the docs).
   */
  static void screenshot(String name) throws java.io.IOException {
    String dir = System.getProperty("dashboard.screenshots");
    if (dir != null && !dir.isBlank()) {
      byte[] png = driver.getScreenshotAs(org.openqa.selenium.OutputType.BYTES);
      Files.createDirectories(Path.of(dir));
      Files.write(Path.of(dir, name + ".png"), png);
    }
  }

  static void open() throws InterruptedException {
    driver.get(base + "/dashboard/");
    awaitAttr("#status", "data-state", "live");
  }

  @Test
  void thePageFollowsAWorkflowAndItsCurveGrowsLive(SharedKafka.Cluster cluster) throws Exception {
    String w = cluster.uniqueName("wf");
    String run = w + ".trial-1";
    phases(w, Phase.ANALYZE, Phase.PREPROCESS, Phase.DESIGN, Phase.SEARCH);
    trial(w, "RUNNING", null);
    losses(run, 1, 5);

    open();
    assertThat(driver.getTitle()).isEqualTo("StreamForge dashboard");
    String card = "#workflow-list [data-workflow='" + w + "']";
    awaitAttr(card, "data-phase", "SEARCH");
    click(card);
    awaitAttr(card, "data-selected", "true");
    assertThat(driver.findElements(By.cssSelector(card + " .timeline .phase")))
        .extracting(WebElement::getText)
        .containsExactly("ANALYZE", "PREPROCESS", "DESIGN", "SEARCH");

    String legend = "#curve-legend li[data-run='" + run + "']";
    awaitAttr(legend, "data-points", "5");
    awaitAttr("#chart-loss", "data-points", "5");
    long before = canvasDigest("chart-loss");
    assertThat(before).as("the loss chart has ink").isNotZero();

    // produced while the page is open: the curve grows
    losses(run, 6, 10);
    epochEnd(run, 10, 1, 0.875);
    awaitAttr(legend, "data-points", "11");
    awaitAttr("#chart-loss", "data-points", "10");
    awaitAttr("#chart-val", "data-points", "1");
    assertThat(Double.parseDouble(attr(legend, "data-last-loss"))).isEqualTo(0.2);
    assertThat(attr(legend, "data-last-val")).isEqualTo("0.875");
    assertThat(canvasDigest("chart-loss"))
        .as("the loss chart was drawn again")
        .isNotEqualTo(before);
    assertThat(text("#chart-val-caption")).contains("val_accuracy");

    String row = "#trial-table tr[data-trial='trial-001']";
    awaitAttr(row, "data-status", "RUNNING");
    trial(w, "DONE", 0.875);
    awaitAttr(row, "data-status", "DONE");
    assertThat(text(row)).contains("0.875", "mlp 64x2", "3.0");
    screenshot("workflow");

    // a later phase moves the timeline on
    PhaseTransition train =
        new PhaseTransition(
            w, Phase.SEARCH, Phase.TRAIN, "best trial-001", Instant.now(), Map.of());
    send(Topics.PHASES.name(), w, Topics.PHASES.valueSerde().serializer().serialize("", train));
    awaitAttr(card, "data-phase", "TRAIN");

    String registry = "#model-list [data-model='" + model + "']";
    awaitAttr(registry + " tr[data-version='2']", "data-status", "REGISTERED");
    awaitAttr(registry + " tr[data-version='1']", "data-variant", "fp32");
  }

  @Test
  void rolloutChangesAndLiveCanaryMetricsAppear() throws Exception {
    open();
    String card = "#deployment-list [data-model='" + model + "']";
    awaitAttr(card, "data-stable", "1");
    assertThat(attr(card, "data-canary")).isEmpty();

    // a decision written to deployments by anyone (here: the test, as the deployer would)
    deployment(model, 1, 2, 25, "canary started");
    awaitAttr(card, "data-canary", "2");
    awaitAttr(card, "data-weight", "25");
    assertThat(text(card + " .decision")).contains("canary started");
    assertThat(text(card + " .split .canary")).contains("v2", "25.0 %");

    // the controls appear only with a token, which the page does not hold otherwise
    assertThat(driver.findElement(By.cssSelector(card + " .controls")).isDisplayed()).isFalse();
    driver.findElement(By.id("admin-token")).sendKeys(TOKEN);
    click("#admin-unlock");
    await(
        "the rollout controls",
        () -> driver.findElement(By.cssSelector(card + " .controls")).isDisplayed());
    assertThat(driver.getPageSource()).doesNotContain(TOKEN);

    // traffic while the page watches: live request rates per version from the edge's metrics
    Http http = new Http(edge.port());
    AtomicBoolean sending = new AtomicBoolean(true);
    Thread traffic =
        new Thread(
            () -> {
              while (sending.get()) {
                try {
                  http.post("/v2/models/" + model + "/infer", Http.mlpRequest(null, ROW));
                  Thread.sleep(5);
                } catch (Exception e) {
                  return;
                }
              }
            },
            "browser-it-traffic");
    traffic.start();
    try {
      // the page's own control: set-weight through the admin API, back through deployments
      await(
          "typing a weight",
          () -> {
            WebElement input = driver.findElement(By.cssSelector(card + " .controls .weight"));
            input.clear();
            input.sendKeys("60");
            return true;
          });
      click(card + " .controls .set-weight");
      awaitAttr(card, "data-weight", "60");
      await("the rollout answer", () -> text("#rollout-message").contains("set-weight requested"));

      await(
          "live request rates of both versions",
          () ->
              Double.parseDouble(attr(card + " tr[data-version='1']", "data-rate")) > 0
                  && Double.parseDouble(attr(card + " tr[data-version='2']", "data-rate")) > 0);
      assertThat(attr(card + " tr[data-version='2']", "data-role")).isEqualTo("canary");
      assertThat(text(card + " tr[data-version='2']")).containsPattern("\\d+\\.\\d{2}"); // p99 ms

      screenshot("rollout");
      click(card + " .controls .promote");
      awaitAttr(card, "data-stable", "2");
      awaitAttr(card, "data-canary", "");
    } finally {
      sending.set(false);
      traffic.join(10_000);
    }
    // a refused action shows the edge's reason
    click(card + " .controls .rollback");
    await("the refusal", () -> text("#rollout-message").contains("has no canary to roll back"));
    assertThat(attr("#rollout-message", "data-ok")).isEqualTo("false");
  }
}
