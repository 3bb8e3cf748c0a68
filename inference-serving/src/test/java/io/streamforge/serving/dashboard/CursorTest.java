package io.streamforge.serving.dashboard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streamforge.serving.EdgeException;
import io.vertx.core.MultiMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Event ids (cursors) and stream requests: parsing, encoding and every refusal. */
class CursorTest {
  @Test
  void encodesAndParsesPerStreamPartitionOffsets() {
    Cursor c = new Cursor();
    c.advance(Stream.METRICS, 2, 40);
    c.advance(Stream.PHASES, 1, 3);
    c.advance(Stream.PHASES, 0, 12);
    c.advance(Stream.METRICS, 0, 7);
    assertThat(c.encode()).isEqualTo("phases:0-12.1-3~metrics:0-7.2-40");
    Cursor back = Cursor.parse(c.encode());
    assertThat(back.encode()).isEqualTo(c.encode());
    assertThat(back.positions(Stream.PHASES)).isEqualTo(Map.of(0, 12L, 1, 3L));
    assertThat(back.positions(Stream.MODELS)).isNull();
    assertThat(back.next(Stream.METRICS, 2)).isEqualTo(40);
    assertThat(back.next(Stream.METRICS, 1)).isEqualTo(-1);
  }

  @Test
  void neverMovesBack() {
    Cursor c = new Cursor();
    c.advance(Stream.MODELS, 0, 10);
    c.advance(Stream.MODELS, 0, 4);
    c.advance(Stream.MODELS, Map.of(0, 8L, 1, 2L));
    assertThat(c.encode()).isEqualTo("models:0-10.1-2");
    Cursor copy = c.copy();
    copy.advance(Stream.MODELS, 0, 11);
    assertThat(c.next(Stream.MODELS, 0)).isEqualTo(10);
  }

  @Test
  void refusesMalformedIdsNamingTheFault() {
    assertThatThrownBy(() -> Cursor.parse("phases"))
        .hasMessageContaining("not <stream>:<partition>-<offset>");
    assertThatThrownBy(() -> Cursor.parse("nope:0-1"))
        .hasMessageContaining("unknown stream 'nope'");
    assertThatThrownBy(() -> Cursor.parse("phases:0-1~phases:1-1"))
        .hasMessageContaining("'phases' twice");
    assertThatThrownBy(() -> Cursor.parse("phases:0-1.0-2"))
        .hasMessageContaining("partition 0 of 'phases' twice");
    assertThatThrownBy(() -> Cursor.parse("phases:0--5")).hasMessageContaining("'0--5'");
    assertThatThrownBy(() -> Cursor.parse("phases:x-5")).hasMessageContaining("'x-5'");
    assertThatThrownBy(() -> Cursor.parse("phases:-5")).hasMessageContaining("'-5'");
    assertThatThrownBy(() -> Cursor.parse("phases:3")).hasMessageContaining("'3'");
    assertThatThrownBy(() -> Cursor.parse("phases:0-1".repeat(500)))
        .hasMessageContaining("longer than 4096");
    assertThat(Cursor.parse("phases:").positions(Stream.PHASES)).isEmpty();
  }

  static MultiMap query(String... kv) {
    MultiMap m = MultiMap.caseInsensitiveMultiMap();
    for (int i = 0; i < kv.length; i += 2) {
      m.add(kv[i], kv[i + 1]);
    }
    return m;
  }

  @Test
  void requestsReadFiltersStartsAndResumePositions() {
    StreamRequest r =
        StreamRequest.parse(
            "metrics", query("workflow", "wf-1", "workflow", "wf-2", "model", "iris"), null);
    assertThat(r.streams()).containsExactly(Stream.METRICS);
    assertThat(r.filter().workflows()).containsExactlyInAnyOrder("wf-1", "wf-2");
    assertThat(r.filter().models()).containsExactly("iris");
    assertThat(r.catchesUp(Stream.METRICS)).isTrue();
    assertThat(r.resume()).isNull();

    StreamRequest all =
        StreamRequest.parse(
            "all",
            query("include", "phases,metrics", "source", "edge", "from", "metrics:latest"),
            null);
    assertThat(all.streams()).containsExactlyInAnyOrder(Stream.PHASES, Stream.METRICS);
    assertThat(all.catchesUp(Stream.PHASES)).isTrue();
    assertThat(all.catchesUp(Stream.METRICS)).isFalse();
    assertThat(StreamRequest.parse("all", query(), null).streams())
        .isEqualTo(Set.of(Stream.values()));

    // a resume position wins over from=latest; the header wins over the parameter
    StreamRequest resumed =
        StreamRequest.parse(
            "all",
            query("include", "phases,models", "from", "latest", "lastEventId", "phases:0-1"),
            "phases:0-9");
    assertThat(resumed.resume().positions(Stream.PHASES)).isEqualTo(Map.of(0, 9L));
    assertThat(resumed.catchesUp(Stream.PHASES)).isTrue();
    assertThat(resumed.catchesUp(Stream.MODELS)).isFalse();
    assertThat(
            StreamRequest.parse("phases", query("lastEventId", "phases:0-1"), " ")
                .resume()
                .positions(Stream.PHASES))
        .isEqualTo(Map.of(0, 1L));
  }

  @Test
  void refusesWhatAStreamCannotHonourListingEveryProblem() {
    assertThatThrownBy(() -> StreamRequest.parse("nope", query(), null))
        .isInstanceOfSatisfying(EdgeException.class, e -> assertThat(e.status()).isEqualTo(404))
        .hasMessageContaining("no stream 'nope'");
    assertThatThrownBy(
            () ->
                StreamRequest.parse(
                    "deployments",
                    query("workflow", "wf", "colour", "red", "from", "sideways", "include", "x"),
                    "bogus"))
        .isInstanceOfSatisfying(EdgeException.class, e -> assertThat(e.status()).isEqualTo(400))
        .hasMessageContaining("filter 'workflow' does not apply to deployments")
        .hasMessageContaining("unknown parameter 'colour'")
        .hasMessageContaining("'sideways' is not beginning or latest")
        .hasMessageContaining("include: only /api/streams/all")
        .hasMessageContaining("Last-Event-ID: event id segment 'bogus'");
    assertThatThrownBy(() -> StreamRequest.parse("all", query("include", "phases,nope"), null))
        .hasMessageContaining("unknown stream 'nope'");
    assertThatThrownBy(
            () ->
                StreamRequest.parse(
                    "all", query("include", "phases", "from", "models:latest"), null))
        .hasMessageContaining("'models:latest' names a stream this request does not read");
    assertThatThrownBy(() -> StreamRequest.parse("phases", query("workflow", " "), null))
        .hasMessageContaining("filter 'workflow' is empty");
  }
}
