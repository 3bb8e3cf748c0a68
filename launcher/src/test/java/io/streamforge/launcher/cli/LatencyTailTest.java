package io.streamforge.launcher.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/** The tails that {@code bench edge} reads from wrk and pools across its swap windows. */
class LatencyTailTest {

  /** wrk's own rule (stats.c): the first latency whose running count reaches the rank. */
  private static long wrkPercentile(long[] sorted, double p) {
    long rank = Math.round(p / 100.0 * sorted.length + 0.5);
    return sorted[(int) Math.min(rank, sorted.length) - 1];
  }

  /** The line the Lua hook prints for these latencies (µs). */
  private static String hookLine(long[] latencies) {
    long[] sorted = latencies.clone();
    Arrays.sort(sorted);
    String grid =
        LongStream.range(0, LatencyTail.STEPS)
            .map(k -> wrkPercentile(sorted, LatencyTail.FLOOR + k / 100.0))
            .mapToObj(Long::toString)
            .collect(Collectors.joining(" "));
    return "latency-tail-us " + sorted.length + " " + grid + " " + sorted[sorted.length - 1];
  }

  private static LatencyTail tail(long[] latencies) {
    String wrkOutput =
        "Running 4s test @ http://127.0.0.1:1/\n  Latency Distribution\n     99%    1.20ms\n"
            + hookLine(latencies)
            + "\nRequests/sec:  27000.00\n";
    return LatencyTail.parse(wrkOutput).orElseThrow();
  }

  private static long exactPercentile(long[] latencies, double p) {
    long[] sorted = latencies.clone();
    Arrays.sort(sorted);
    return sorted[(int) Math.ceil(p / 100.0 * sorted.length) - 1];
  }

  private static long[] sample(long seed, int n, double mean, double spike, long spikeMicros) {
    SplittableRandom random = new SplittableRandom(seed);
    long[] out = new long[n];
    for (int i = 0; i < n; i++) {
      long base = Math.round(-mean * Math.log(1 - random.nextDouble())) + 50;
      out[i] = random.nextDouble() < spike ? base + spikeMicros : base;
    }
    return out;
  }

  @Test
  void readsTheHooksLine() {
    LatencyTail t = tail(LongStream.rangeClosed(1, 20).map(i -> 100 * i).toArray());
    assertThat(t.requests()).isEqualTo(20);
    // wrk's rank for p90 of 20 requests is round(18 + 0.5) = 19.
    assertThat(t.percentile(90)).isEqualTo(1900);
    assertThat(t.percentile(100)).isEqualTo(2000);
    assertThat(LatencyTail.parse("Requests/sec: 1.0\n")).isEmpty();
  }

  @Test
  void aMalformedLineIsRefusedWithWhatWasWrong() {
    assertThatThrownBy(() -> LatencyTail.parse("latency-tail-us 10 1 2 3\n"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("3 tail percentiles, expected 1001");
  }

  @Test
  void oneRunPooledAloneIsItself() {
    long[] run = sample(1, 50_000, 300, 0.02, 2_000);
    LatencyTail t = tail(run);
    for (double p : new double[] {90, 95, 99, 99.9}) {
      assertThat(LatencyTail.pooledPercentile(List.of(t), p))
          .as("p%s", p)
          .isEqualTo(t.percentile(p));
    }
  }

  @Test
  void pooledRunsGiveThePercentileOfAllTheirRequests() {
    // Runs of different sizes and tails: the pool is weighted by requests, not a mean of p99s.
    long[] quiet = sample(2, 80_000, 300, 0.001, 1_500);
    long[] spiky = sample(3, 20_000, 350, 0.05, 3_000);
    long[] middling = sample(4, 50_000, 320, 0.01, 2_000);
    List<LatencyTail> tails = List.of(tail(quiet), tail(spiky), tail(middling));
    long[] all =
        LongStream.concat(
                LongStream.concat(Arrays.stream(quiet), Arrays.stream(spiky)),
                Arrays.stream(middling))
            .toArray();
    // (At p95 the spiky run's own p90 lies above the pooled value, which the pool cannot resolve.)
    for (double p : new double[] {98, 99, 99.5}) {
      long pooled = LatencyTail.pooledPercentile(tails, p);
      long exact = exactPercentile(all, p);
      // Never below the exact value, and within the 0.01-point grid (and wrk's rounding) above it.
      assertThat(pooled).as("p%s", p).isGreaterThanOrEqualTo(exact);
      assertThat(pooled).as("p%s", p).isLessThanOrEqualTo(exactPercentile(all, p + 0.02));
      assertThat(LatencyTail.resolved(tails, pooled)).isTrue();
    }
  }

  @Test
  void aRunWhoseP90LiesAboveThePooledValueIsFlagged() {
    LatencyTail fast = tail(sample(5, 100_000, 100, 0, 0));
    LatencyTail stalled = tail(LongStream.range(0, 100).map(i -> 50_000 + i).toArray());
    long p99 = LatencyTail.pooledPercentile(List.of(fast, stalled), 99);
    // 100 stalled requests of 100,100 are 0.1 %: the pooled p99 comes from the fast run.
    assertThat(p99).isLessThan(50_000);
    assertThat(LatencyTail.resolved(List.of(fast), p99)).isTrue();
    assertThat(LatencyTail.resolved(List.of(fast, stalled), p99)).isFalse();
  }

  @Test
  void percentilesOutsideTheGridAreRefused() {
    LatencyTail t = tail(sample(7, 1_000, 100, 0, 0));
    assertThatThrownBy(() -> t.percentile(50)).hasMessageContaining("outside 90.0..100");
    assertThatThrownBy(() -> LatencyTail.pooledPercentile(List.of(t), 100.5))
        .hasMessageContaining("outside 90.0..100");
  }
}
