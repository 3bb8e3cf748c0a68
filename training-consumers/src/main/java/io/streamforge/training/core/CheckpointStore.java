package io.streamforge.training.core;

import java.util.Optional;

/** Where a job's latest checkpoint is kept, so that any worker can resume the job. */
public interface CheckpointStore {
  /** Replaces the job's checkpoint. */
  void save(String jobId, byte[] checkpoint);

  /** The job's latest complete checkpoint. */
  Optional<byte[]> latest(String jobId);

  /** Keeps nothing: jobs start from the beginning. */
  CheckpointStore NONE =
      new CheckpointStore() {
        @Override
        public void save(String jobId, byte[] checkpoint) {}

        @Override
        public Optional<byte[]> latest(String jobId) {
          return Optional.empty();
        }
      };
}
