package io.streamforge.training.core;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Checkpoints in this process's memory: resumes a job stopped and restarted within one process
 * (local training from a file). Workers use the Kafka store so that another process can resume.
 */
public final class MemoryCheckpointStore implements CheckpointStore {
  private final Map<String, byte[]> latest = new ConcurrentHashMap<>();
  private final Map<String, Integer> saves = new ConcurrentHashMap<>();

  @Override
  public void save(String jobId, byte[] checkpoint) {
    latest.put(jobId, checkpoint.clone());
    saves.merge(jobId, 1, Integer::sum);
  }

  @Override
  public Optional<byte[]> latest(String jobId) {
    return Optional.ofNullable(latest.get(jobId)).map(byte[]::clone);
  }

  /** How many checkpoints of the job were saved. */
  public int saves(String jobId) {
    return saves.getOrDefault(jobId, 0);
  }
}
