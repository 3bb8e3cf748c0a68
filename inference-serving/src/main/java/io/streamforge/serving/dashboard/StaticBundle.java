package io.streamforge.serving.dashboard;

import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The dashboard page: a few static files (HTML, CSS, plain JavaScript) packed in the jar under
 * {@code dashboard/}, read once at start and served from memory at {@code /dashboard/}, so the edge
 * needs no file system and the page no build step or CDN. A content security policy allows only the
 * edge's own scripts, styles and connections.
 */
public final class StaticBundle {
  /** The files of the bundle, by the name they are served under. */
  static final Map<String, String> FILES =
      Map.of(
          "index.html", "text/html; charset=utf-8",
          "dashboard.css", "text/css; charset=utf-8",
          "dashboard.js", "text/javascript; charset=utf-8");

  static final String CSP =
      "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'"
          + " data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

  private record File(Buffer body, String contentType, String etag) {}

  private final Map<String, File> files = new LinkedHashMap<>();

  /**
   * Reads the bundle from the class path.
   *
   * @throws IllegalStateException naming a file that is missing from the jar
   */
  public StaticBundle() {
    for (var e : FILES.entrySet()) {
      String path = "dashboard/" + e.getKey();
      try (InputStream in = StaticBundle.class.getClassLoader().getResourceAsStream(path)) {
        if (in == null) {
          throw new IllegalStateException("the dashboard file " + path + " is not in the jar");
        }
        byte[] bytes = in.readAllBytes();
        files.put(e.getKey(), new File(Buffer.buffer(bytes), e.getValue(), etag(bytes)));
      } catch (IOException ex) {
        throw new UncheckedIOException("cannot read the dashboard file " + path, ex);
      }
    }
  }

  /** {@code /} and {@code /dashboard} redirect to {@code /dashboard/}; files below it. */
  public void mount(Router router) {
    router.get("/").handler(ctx -> redirect(ctx, "/dashboard/"));
    // the router matches "/dashboard" with or without its trailing slash
    router
        .get("/dashboard")
        .handler(
            ctx -> {
              if (ctx.request().path().endsWith("/")) {
                serve(ctx, "index.html");
              } else {
                redirect(ctx, "/dashboard/");
              }
            });
    router.get("/dashboard/:file").handler(ctx -> serve(ctx, ctx.pathParam("file")));
  }

  private void serve(RoutingContext ctx, String name) {
    File f = files.get(name);
    if (f == null) {
      ctx.response()
          .setStatusCode(404)
          .putHeader("content-type", "application/json")
          .end(
              new io.vertx.core.json.JsonObject()
                  .put("error", "no dashboard file '" + name + "'")
                  .toBuffer());
      return;
    }
    var response =
        ctx.response()
            .putHeader("cache-control", "no-cache")
            .putHeader("etag", f.etag())
            .putHeader("x-content-type-options", "nosniff")
            .putHeader("content-security-policy", CSP)
            .putHeader("referrer-policy", "no-referrer");
    if (f.etag().equals(ctx.request().getHeader("if-none-match"))) {
      response.setStatusCode(304).end();
      return;
    }
    response.putHeader("content-type", f.contentType()).end(f.body());
  }

  private static void redirect(RoutingContext ctx, String to) {
    ctx.response().setStatusCode(302).putHeader("location", to).end();
  }

  private static String etag(byte[] bytes) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(bytes);
      return "\"" + HexFormat.of().formatHex(d, 0, 12) + "\"";
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
