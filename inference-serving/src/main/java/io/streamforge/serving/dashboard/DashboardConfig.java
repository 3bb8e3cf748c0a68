package io.streamforge.serving.dashboard;

import java.time.Duration;
import java.util.Objects;

/**
 * How the edge's event streams treat their clients.
 *
 * <p>Every client has a bounded buffer: the shared tail of a topic never waits for a client, so a
 * client whose buffer is full is disconnected (its browser reconnects and resumes from the last
 * event it received). A client that reads history (its own catch-up reader) is waited for instead,
 * up to {@code stallTimeout}.
 *
 * @param heartbeat period of the {@code : heartbeat} comments that keep idle connections open
 * @param clientBuffer events a client may have waiting beyond what its socket takes
 * @param stallTimeout how long a catch-up reader waits for a client's buffer to make room
 * @param catchUpThreads clients reading history at the same time (each with its own consumer)
 * @param maxClients open streams per edge; beyond it a new stream is answered 503
 */
public record DashboardConfig(
    Duration heartbeat,
    int clientBuffer,
    Duration stallTimeout,
    int catchUpThreads,
    int maxClients) {
  public DashboardConfig {
    Objects.requireNonNull(heartbeat, "heartbeat");
    Objects.requireNonNull(stallTimeout, "stallTimeout");
    if (heartbeat.toMillis() < 1 || stallTimeout.toMillis() < 1) {
      throw new IllegalArgumentException(
          "stream heartbeat and stall timeout must be at least 1 ms, got "
              + heartbeat
              + " and "
              + stallTimeout);
    }
    if (clientBuffer < 1 || catchUpThreads < 1 || maxClients < 1) {
      throw new IllegalArgumentException(
          "stream client buffer, catch-up threads and max clients must be positive, got "
              + clientBuffer
              + ", "
              + catchUpThreads
              + ", "
              + maxClients);
    }
  }

  /**
   * Heartbeat every 15 s, 1024 buffered events per client, 30 s stall, 2 catch-ups, 256 clients.
   */
  public static DashboardConfig defaults() {
    return new DashboardConfig(Duration.ofSeconds(15), 1024, Duration.ofSeconds(30), 2, 256);
  }

  public DashboardConfig withHeartbeat(Duration d) {
    return new DashboardConfig(d, clientBuffer, stallTimeout, catchUpThreads, maxClients);
  }

  public DashboardConfig withClientBuffer(int events) {
    return new DashboardConfig(heartbeat, events, stallTimeout, catchUpThreads, maxClients);
  }

  public DashboardConfig withStallTimeout(Duration d) {
    return new DashboardConfig(heartbeat, clientBuffer, d, catchUpThreads, maxClients);
  }

  public DashboardConfig withCatchUpThreads(int n) {
    return new DashboardConfig(heartbeat, clientBuffer, stallTimeout, n, maxClients);
  }

  public DashboardConfig withMaxClients(int n) {
    return new DashboardConfig(heartbeat, clientBuffer, stallTimeout, catchUpThreads, n);
  }
}
