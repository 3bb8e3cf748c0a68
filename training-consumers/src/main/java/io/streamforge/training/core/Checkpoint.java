package io.streamforge.training.core;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * A training job's state between two steps: the network's parameters (batch-norm statistics
 * included), where the data stands (the epoch under way and how many of its training rows were
 * consumed, in the feed's deterministic order), the optimizer's step count (so the schedule goes on
 * where it was), the learning rate, the history so far and, under early stopping, the best epoch's
 * parameters. The optimizer's moment estimates are not kept: a resumed Adam starts its moments
 * afresh.
 *
 * @param nextEpoch the epoch to continue (1-based)
 * @param rowsDone training rows of {@code nextEpoch} already consumed
 */
public record Checkpoint(
    String jobId,
    int nextEpoch,
    long rowsDone,
    long step,
    double learningRate,
    int sinceBest,
    int bestEpoch,
    double bestScore,
    Map<String, Double> bestMetrics,
    List<EpochSummary> history,
    byte[] params,
    byte[] bestParams) {
  private static final int MAGIC = 0x5346434B; // "SFCK"
  private static final int FORMAT = 1;
  private static final ObjectMapper JSON =
      new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  private record Header(
      String jobId,
      int nextEpoch,
      long rowsDone,
      long step,
      double learningRate,
      int sinceBest,
      int bestEpoch,
      double bestScore,
      Map<String, Double> bestMetrics,
      List<EpochSummary> history) {}

  public byte[] toBytes() {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      DataOutputStream out = new DataOutputStream(bytes);
      out.writeInt(MAGIC);
      out.writeInt(FORMAT);
      byte[] header =
          JSON.writeValueAsBytes(
              new Header(
                  jobId,
                  nextEpoch,
                  rowsDone,
                  step,
                  learningRate,
                  sinceBest,
                  bestEpoch,
                  bestScore,
                  bestMetrics,
                  history));
      write(out, header);
      write(out, params);
      write(out, bestParams == null ? new byte[0] : bestParams);
      out.flush();
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void write(DataOutputStream out, byte[] b) throws IOException {
    out.writeInt(b.length);
    out.write(b);
  }

  private static byte[] read(DataInputStream in) throws IOException {
    int n = in.readInt();
    if (n < 0 || n > (1 << 30)) {
      throw new IOException("bad length " + n);
    }
    return in.readNBytes(n);
  }

  /**
   * @throws IllegalArgumentException when the bytes are not a checkpoint of a known format
   */
  public static Checkpoint fromBytes(byte[] bytes) {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
      if (in.readInt() != MAGIC) {
        throw new IllegalArgumentException("not a StreamForge checkpoint");
      }
      int format = in.readInt();
      if (format != FORMAT) {
        throw new IllegalArgumentException(
            "checkpoint format " + format + " is not supported (supported: " + FORMAT + ")");
      }
      Header h = JSON.readValue(new String(read(in), StandardCharsets.UTF_8), Header.class);
      byte[] params = read(in);
      byte[] best = read(in);
      return new Checkpoint(
          h.jobId(),
          h.nextEpoch(),
          h.rowsDone(),
          h.step(),
          h.learningRate(),
          h.sinceBest(),
          h.bestEpoch(),
          h.bestScore(),
          h.bestMetrics(),
          h.history(),
          params,
          best.length == 0 ? null : best);
    } catch (IOException e) {
      throw new IllegalArgumentException("unreadable checkpoint: " + e.getMessage(), e);
    }
  }
}
