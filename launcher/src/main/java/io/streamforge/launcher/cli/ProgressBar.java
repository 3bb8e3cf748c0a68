package io.streamforge.launcher.cli;

import io.streamforge.arrowio.dataset.DatasetPublisher;
import java.io.PrintStream;

/**
 * A one-line progress bar on stderr: rows, bad rows, MB/s and ETA. On a terminal it redraws in
 * place; otherwise (a log file, CI) it prints a line every few seconds.
 */
final class ProgressBar implements DatasetPublisher.Progress {
  private static final long INTERACTIVE_NANOS = 100_000_000L;
  private static final long LOG_NANOS = 5_000_000_000L;

  private final String label;
  private final PrintStream out;
  private final boolean interactive;
  private final long start = System.nanoTime();
  private long lastDraw;
  private String lastLine = "";

  ProgressBar(String label, PrintStream out, boolean interactive) {
    this.label = label;
    this.out = out;
    this.interactive = interactive;
  }

  static ProgressBar forStderr(String label) {
    return new ProgressBar(label, System.err, System.console() != null);
  }

  @Override
  public void update(long rows, long badRows, long bytesRead, long totalBytes, long bytesSent) {
    long now = System.nanoTime();
    if (now - lastDraw < (interactive ? INTERACTIVE_NANOS : LOG_NANOS)) {
      return;
    }
    lastDraw = now;
    draw(rows, badRows, bytesRead, totalBytes, now);
  }

  private void draw(long rows, long badRows, long bytesRead, long totalBytes, long now) {
    double seconds = Math.max(1e-3, (now - start) / 1e9);
    double mbPerSecond = bytesRead / 1e6 / seconds;
    StringBuilder sb = new StringBuilder(label).append(' ');
    if (totalBytes > 0) {
      double fraction = Math.min(1.0, (double) bytesRead / totalBytes);
      int filled = (int) Math.round(fraction * 24);
      sb.append('[').append("#".repeat(filled)).append(".".repeat(24 - filled)).append("] ");
      sb.append(String.format("%3.0f%%  ", fraction * 100));
      double eta = fraction > 0 ? seconds * (1 - fraction) / fraction : 0;
      sb.append(String.format("%,d rows  %.1f MB/s  ETA %s", rows, mbPerSecond, clock(eta)));
    } else {
      sb.append(String.format("%,d rows  %.1f MB/s", rows, mbPerSecond));
    }
    if (badRows > 0) {
      sb.append(String.format("  %,d bad rows", badRows));
    }
    lastLine = sb.toString();
    if (interactive) {
      out.print("\r" + lastLine + "\u001b[K");
    } else {
      out.println(lastLine);
    }
    out.flush();
  }

  /** Draws the final state and ends the line. */
  void finish(long rows, long badRows, long bytesRead, long totalBytes) {
    draw(rows, badRows, bytesRead, totalBytes <= 0 ? bytesRead : totalBytes, System.nanoTime());
    if (interactive) {
      out.println();
    }
  }

  private static String clock(double seconds) {
    long s = Math.round(seconds);
    return String.format("%d:%02d", s / 60, s % 60);
  }
}
