package io.streamforge.training.core;

import java.util.concurrent.locks.ReentrantLock;

/**
 * Turns for gradient collection. DJL's PyTorch engine allows one {@code GradientCollector} at a
 * time in the whole JVM (a static flag; PyTorch's own grad mode is per thread), so jobs training at
 * once in one worker take turns, fairly, for the forward and backward pass of each step; the rest
 * of their work (data, optimizer steps, evaluation, checkpoints) overlaps.
 */
public final class GradientCollection {
  /** Held while a {@code GradientCollector} is open. */
  public static final ReentrantLock LOCK = new ReentrantLock(true);

  private GradientCollection() {}
}
