package io.streamforge.training.worker;

import java.util.concurrent.atomic.AtomicReference;

/**
 * A request that a running job give itself back to the group: a worker asks it when the job's
 * partition is revoked (a rebalance) or when the worker shuts down. A training job then writes a
 * checkpoint at its next step boundary and stops without exporting anything; its offset is not
 * committed and no status is sent, so the partition's next owner takes the job again and resumes it
 * from that checkpoint. Set once, by the worker's consumer thread; read by the job's thread.
 */
public final class HandBack {
  /** Never requested: the job runs to its end. */
  public static final HandBack NEVER = new HandBack();

  private final AtomicReference<String> reason = new AtomicReference<>();

  /** Asks the job to stop; the first reason wins. */
  public void request(String why) {
    if (this == NEVER) {
      throw new IllegalStateException("HandBack.NEVER cannot be requested");
    }
    reason.compareAndSet(null, why);
  }

  public boolean requested() {
    return reason.get() != null;
  }

  /** Why the job was asked to stop, or null. */
  public String reason() {
    return reason.get();
  }
}
