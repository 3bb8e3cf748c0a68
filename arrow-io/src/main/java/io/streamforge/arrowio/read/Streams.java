package io.streamforge.arrowio.read;

import java.io.IOException;
import java.io.InputStream;

/** Helpers for sources that take ownership of an input stream. */
final class Streams {
  private Streams() {}

  /** Opens something that owns {@code in}. */
  interface Opener<T> {
    T open() throws IOException;
  }

  /**
   * Runs {@code opener}; if it fails, closes {@code in} (the caller handed it over) and rethrows.
   */
  static <T> T closeOnFailure(InputStream in, Opener<T> opener) throws IOException {
    try {
      return opener.open();
    } catch (IOException | RuntimeException | Error e) {
      try {
        in.close();
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
  }
}
