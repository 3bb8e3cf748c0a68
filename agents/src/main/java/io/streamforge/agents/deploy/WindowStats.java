package io.streamforge.agents.deploy;

/**
 * What one side of a rollout (canary or stable) served in one analysis window.
 *
 * @param requests requests served
 * @param errors requests that failed
 * @param p99Ms 99th percentile latency in milliseconds (NaN when unknown)
 */
public record WindowStats(long requests, long errors, double p99Ms) {

  public WindowStats {
    if (requests < 0 || errors < 0 || errors > requests) {
      throw new IllegalArgumentException(
          "a window needs 0 <= errors <= requests, had " + errors + " of " + requests);
    }
  }

  /** Failed share of the requests, 0 when there were none. */
  public double errorRate() {
    return requests == 0 ? 0 : (double) errors / requests;
  }
}
