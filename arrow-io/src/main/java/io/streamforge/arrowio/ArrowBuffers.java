package io.streamforge.arrowio;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.apache.arrow.memory.ArrowBuf;

/** Fast, still bounds-checked access to Arrow buffers in tight loops. */
public final class ArrowBuffers {
  private ArrowBuffers() {}

  /**
   * A ByteBuffer over the whole of an Arrow buffer, in native order. Reads through it are
   * bounds-checked by the JVM's intrinsics instead of ArrowBuf's per-call reference-count check,
   * which otherwise dominates loops over millions of values. The view is valid while the buffer is.
   */
  public static ByteBuffer view(ArrowBuf buf) {
    long capacity = buf.capacity();
    if (capacity > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("Arrow buffer larger than 2 GiB: " + capacity);
    }
    return buf.nioBuffer(0, (int) capacity).order(ByteOrder.nativeOrder());
  }
}
