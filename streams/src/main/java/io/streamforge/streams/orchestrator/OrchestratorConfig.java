package io.streamforge.streams.orchestrator;

import io.streamforge.schemas.records.Phase;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;

/**
 * The orchestrator's knobs.
 *
 * @param timeouts how long each phase may wait for its agent before the workflow fails
 * @param maxAttempts how many times a request that failed transiently is sent
 * @param backoff the wait before the second attempt; it doubles for each further one
 * @param tick how often timeouts and retries are checked (wall-clock punctuation)
 * @param trialEpochs epochs of a search trial unless the request's options say otherwise
 * @param finalEpochs epochs of the final training unless the request's options say otherwise
 */
public record OrchestratorConfig(
    Map<Phase, Duration> timeouts,
    int maxAttempts,
    Duration backoff,
    Duration tick,
    int trialEpochs,
    int finalEpochs) {

  public static OrchestratorConfig defaults() {
    Map<Phase, Duration> t = new EnumMap<>(Phase.class);
    t.put(Phase.ANALYZE, Duration.ofMinutes(1));
    t.put(Phase.PREPROCESS, Duration.ofMinutes(10));
    t.put(Phase.DESIGN, Duration.ofMinutes(1));
    t.put(Phase.SEARCH, Duration.ofHours(6));
    t.put(Phase.TRAIN, Duration.ofHours(6));
    t.put(Phase.ENSEMBLE, Duration.ofMinutes(30));
    t.put(Phase.CONVERT, Duration.ofMinutes(1));
    t.put(Phase.OPTIMIZE, Duration.ofMinutes(30));
    t.put(Phase.DEPLOY, Duration.ofMinutes(30));
    return new OrchestratorConfig(t, 3, Duration.ofSeconds(2), Duration.ofSeconds(1), 12, 30);
  }

  public Duration timeout(Phase phase) {
    return timeouts.getOrDefault(phase, Duration.ofHours(1));
  }

  /** This config with one phase's timeout changed. */
  public OrchestratorConfig withTimeout(Phase phase, Duration timeout) {
    Map<Phase, Duration> t = new EnumMap<>(timeouts);
    t.put(phase, timeout);
    return new OrchestratorConfig(t, maxAttempts, backoff, tick, trialEpochs, finalEpochs);
  }

  public OrchestratorConfig withEpochs(int trial, int fin) {
    return new OrchestratorConfig(timeouts, maxAttempts, backoff, tick, trial, fin);
  }
}
