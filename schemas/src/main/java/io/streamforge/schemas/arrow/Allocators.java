package io.streamforge.schemas.arrow;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

/**
 * The process-wide root allocator. Components take a named child of it ({@link #child(String)}) and
 * close that child when they stop, which reports any leak in that component by name.
 */
public final class Allocators {
  private static final class Holder {
    static final RootAllocator ROOT = new RootAllocator(Long.MAX_VALUE);
  }

  private Allocators() {}

  public static BufferAllocator root() {
    return Holder.ROOT;
  }

  /** A child allocator named {@code name} without a limit; the caller closes it. */
  public static BufferAllocator child(String name) {
    return Holder.ROOT.newChildAllocator(name, 0, Long.MAX_VALUE);
  }
}
