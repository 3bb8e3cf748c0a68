package io.streamforge.serving;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The dashboard bundle served by an edge without Kafka: the page and its files from the jar, with
 * their types and security headers; the streams' refusals (which need no broker).
 */
class DashboardPageTest {
  static final String TOKEN = "page-test-secret-token";
  static BlockedThreads loops;
  static Edge edge;
  static Http http;

  @BeforeAll
  static void start() throws Exception {
    loops = new BlockedThreads();
    edge =
        Edge.start(
            EdgeConfig.defaults().withHost("127.0.0.1").withHttpPort(0).withAdminToken(TOKEN),
            null,
            loops.vertx);
    http = new Http(edge.port());
  }

  @AfterAll
  static void stop() {
    edge.close();
    loops.close();
  }

  @AfterEach
  void eventLoopsNeverBlocked() {
    loops.assertNoneBlocked();
  }

  @Test
  void servesThePageAndItsFilesFromTheJar() throws Exception {
    Http.Response page = http.get("/dashboard/");
    assertThat(page.status()).isEqualTo(200);
    assertThat(page.header("content-type")).isEqualTo("text/html; charset=utf-8");
    assertThat(page.body()).contains("<script src=\"dashboard.js\" defer></script>");
    assertThat(page.body()).contains("href=\"dashboard.css\"");
    assertThat(page.body()).doesNotContain("http://", "https://"); // no CDN, nothing external
    assertThat(page.header("content-security-policy"))
        .contains("script-src 'self'", "connect-src 'self'", "default-src 'none'");
    assertThat(page.header("x-content-type-options")).isEqualTo("nosniff");

    Http.Response js = http.get("/dashboard/dashboard.js");
    assertThat(js.status()).isEqualTo(200);
    assertThat(js.header("content-type")).isEqualTo("text/javascript; charset=utf-8");
    assertThat(js.body()).contains("/api/streams/all?", "new EventSource(");
    assertThat(js.body()).doesNotContain("https://", "innerHTML");
    Http.Response css = http.get("/dashboard/dashboard.css");
    assertThat(css.status()).isEqualTo(200);
    assertThat(css.header("content-type")).isEqualTo("text/css; charset=utf-8");

    // the token the edge holds is never part of what it serves
    for (Http.Response r : new Http.Response[] {page, js, css}) {
      assertThat(r.body()).doesNotContain(TOKEN);
    }
  }

  @Test
  void redirectsToThePageAndAnswersUnknownFiles404() throws Exception {
    Http.Response root = http.get("/");
    assertThat(root.status()).isEqualTo(302);
    assertThat(root.header("location")).isEqualTo("/dashboard/");
    Http.Response bare = http.get("/dashboard");
    assertThat(bare.status()).isEqualTo(302);
    assertThat(bare.header("location")).isEqualTo("/dashboard/");
    Http.Response missing = http.get("/dashboard/secrets.txt");
    assertThat(missing.status()).isEqualTo(404);
    assertThat(missing.error()).contains("secrets.txt");
    assertThat(http.get("/dashboard/..%2Fpom.xml").status()).isEqualTo(404);
  }

  @Test
  void unchangedFilesAnswer304ToTheirEtag() throws Exception {
    Http.Response first = http.get("/dashboard/dashboard.js");
    String etag = first.header("etag");
    assertThat(etag).startsWith("\"").endsWith("\"");
    HttpResponse<String> again =
        http.client.send(
            HttpRequest.newBuilder(URI.create(http.base + "/dashboard/dashboard.js"))
                .header("if-none-match", etag)
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(again.statusCode()).isEqualTo(304);
    assertThat(again.body()).isEmpty();
  }

  @Test
  void streamsRefuseBadRequestsAndNeedKafka() throws Exception {
    Http.Response unknown = http.get("/api/streams/nope");
    assertThat(unknown.status()).isEqualTo(404);
    assertThat(unknown.error()).contains("no stream 'nope'", "phases", "metrics", "all");

    Http.Response bad = http.get("/api/streams/phases?colour=red&run=x");
    assertThat(bad.status()).isEqualTo(400);
    assertThat(bad.error())
        .contains("unknown parameter 'colour'", "filter 'run' does not apply to phases");

    Http.Response badId = http.get("/api/streams/phases?lastEventId=phases:0-x");
    assertThat(badId.status()).isEqualTo(400);
    assertThat(badId.error()).contains("Last-Event-ID", "'0-x'");

    Http.Response noKafka = http.get("/api/streams/phases?workflow=wf-1");
    assertThat(noKafka.status()).isEqualTo(503);
    assertThat(noKafka.error()).contains("need Kafka");
  }
}
