package io.streamforge.launcher.cli;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The slowest tenth of one wrk run: the latency in µs at every percentile from 90.00 to 100 in
 * steps of 0.01 points, as wrk's {@code done} hook reports them ({@link #LUA}), and how many
 * requests the run made. The tails of several short runs pool into the tail of all their requests
 * together, whose p99 is steadier than any single run's.
 *
 * @param requests requests the run made
 * @param micros latency at percentile {@code 90 + k / 100.0} for k = 0 … {@link #STEPS}
 */
record LatencyTail(long requests, long[] micros) {
  /** Grid steps from the 90th percentile to the maximum (0.01 points each). */
  static final int STEPS = 1000;

  /** The lowest percentile on the grid. */
  static final double FLOOR = 90.0;

  /** A wrk {@code done} hook that prints the tail on one line of its output. */
  static final String LUA =
      "function done(summary, latency, requests)\n"
          + "  local out = {}\n"
          + "  for k = 0, "
          + (STEPS - 1)
          + " do out[#out + 1] = latency:percentile("
          + FLOOR
          + " + k / 100) end\n"
          // wrk's percentile(100) answers 0 (its rank is one past the last request): the maximum.
          + "  out[#out + 1] = latency.max\n"
          + "  io.write(\"latency-tail-us \", summary.requests, \" \", table.concat(out, \" \"),"
          + " \"\\n\")\n"
          + "end\n";

  private static final Pattern LINE =
      Pattern.compile("^latency-tail-us ([0-9 ]+)$", Pattern.MULTILINE);

  LatencyTail {
    if (micros.length != STEPS + 1) {
      throw new IllegalArgumentException(
          "a tail has " + (STEPS + 1) + " percentiles, not " + micros.length);
    }
    micros = micros.clone();
  }

  /** The tail line in wrk's output, if the run had the hook. */
  static Optional<LatencyTail> parse(String wrkOutput) {
    Matcher m = LINE.matcher(wrkOutput);
    if (!m.find()) {
      return Optional.empty();
    }
    long[] values =
        Arrays.stream(m.group(1).trim().split(" +")).mapToLong(Long::parseLong).toArray();
    if (values.length != STEPS + 2) {
      throw new IllegalStateException(
          "wrk printed " + (values.length - 1) + " tail percentiles, expected " + (STEPS + 1));
    }
    return Optional.of(new LatencyTail(values[0], Arrays.copyOfRange(values, 1, values.length)));
  }

  /**
   * The fraction of this run's requests known to have taken at most {@code x} µs: the highest grid
   * percentile whose latency is at most x (0.9 and below are not resolved, and count as 0).
   */
  double atMost(long x) {
    int k = Arrays.binarySearch(micros, x);
    if (k < 0) {
      k = -k - 2;
    } else {
      while (k + 1 < micros.length && micros[k + 1] == x) {
        k++;
      }
    }
    return k < 0 ? 0 : (FLOOR + k / 100.0) / 100.0;
  }

  /** The latency at percentile {@code p} of this run alone (p from 90 to 100). */
  long percentile(double p) {
    return micros[index(p)];
  }

  /**
   * The {@code p}-th percentile (90 ≤ p ≤ 100) of all the runs' requests together, in µs: the
   * lowest latency under which at least p % of them fall, each run weighted by its requests. Exact
   * to the grid (0.01 points per run) as long as no run's own 90th percentile lies above the result
   * ({@link #resolved}).
   */
  static long pooledPercentile(List<LatencyTail> tails, double p) {
    index(p);
    long total = tails.stream().mapToLong(LatencyTail::requests).sum();
    if (total == 0) {
      throw new IllegalArgumentException("no requests to pool");
    }
    TreeSet<Long> candidates = new TreeSet<>();
    for (LatencyTail t : tails) {
      for (long v : t.micros) {
        candidates.add(v);
      }
    }
    double target = p / 100.0 - 1e-9;
    for (long x : candidates) {
      double below = 0;
      for (LatencyTail t : tails) {
        below += t.requests * t.atMost(x);
      }
      if (below / total >= target) {
        return x;
      }
    }
    return candidates.last();
  }

  /**
   * Whether a pooled percentile at {@code micros} is exact: every run's p90 lies at or below it.
   */
  static boolean resolved(List<LatencyTail> tails, long micros) {
    return tails.stream().allMatch(t -> t.micros[0] <= micros);
  }

  private static int index(double p) {
    if (!(p >= FLOOR && p <= 100)) {
      throw new IllegalArgumentException("percentile " + p + " is outside " + FLOOR + "..100");
    }
    return (int) Math.round((p - FLOOR) * 100);
  }
}
