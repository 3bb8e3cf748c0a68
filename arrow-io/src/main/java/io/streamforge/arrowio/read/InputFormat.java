package io.streamforge.arrowio.read;

import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** Input formats that {@link BatchSources} opens, with the file extensions that select them. */
public enum InputFormat {
  /** Comma-separated values (or any delimiter set in {@link CsvOptions}). */
  CSV(List.of("csv")),
  /** Tab-separated values: CSV with a tab delimiter. */
  TSV(List.of("tsv")),
  /** One JSON object per line. */
  JSON_LINES(List.of("jsonl", "ndjson", "json")),
  /** Arrow IPC file or stream. */
  ARROW(List.of("arrow", "arrows", "feather", "ipc"));

  private final List<String> extensions;

  InputFormat(List<String> extensions) {
    this.extensions = extensions;
  }

  /** Lower-case extensions without the dot. */
  public List<String> extensions() {
    return extensions;
  }

  /** The format a file name's extension (any case) selects, if any. */
  public static Optional<InputFormat> forFileName(String fileName) {
    int dot = fileName.lastIndexOf('.');
    if (dot < 0) {
      return Optional.empty();
    }
    String ext = fileName.substring(dot + 1).toLowerCase(Locale.ROOT);
    for (InputFormat f : values()) {
      if (f.extensions.contains(ext)) {
        return Optional.of(f);
      }
    }
    return Optional.empty();
  }

  /** E.g. {@code .csv (csv), .tsv (tsv), .jsonl/.ndjson/.json (json_lines), ...}. */
  static String supported() {
    StringBuilder sb = new StringBuilder();
    for (InputFormat f : values()) {
      if (sb.length() > 0) {
        sb.append(", ");
      }
      sb.append('.').append(String.join("/.", f.extensions));
      sb.append(" (").append(f.name().toLowerCase(Locale.ROOT)).append(')');
    }
    return sb.toString();
  }
}
