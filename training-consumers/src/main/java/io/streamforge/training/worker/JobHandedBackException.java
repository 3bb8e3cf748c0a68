package io.streamforge.training.worker;

/**
 * A job stopped because it was handed back to the group ({@link HandBack}): its last checkpoint is
 * where the next owner resumes. Not a failure of the job: no status is sent and its offset is not
 * committed.
 */
public final class JobHandedBackException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public JobHandedBackException(String jobId, String why) {
    super("job " + jobId + " handed back to the group: " + why);
  }
}
