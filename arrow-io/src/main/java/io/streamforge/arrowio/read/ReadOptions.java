package io.streamforge.arrowio.read;

import java.util.Objects;

/**
 * How {@link BatchSources} opens a file: the format (by default chosen from the extension), the
 * text options shared by CSV and JSON lines (whose {@link CsvOptions#batchRows()} also sets the
 * batch size of Arrow input), and the handler for bad rows (by default {@link BadRowHandler#FAIL}).
 */
public record ReadOptions(InputFormat format, CsvOptions text, BadRowHandler badRows) {

  /**
   * @param format the format, or null to choose it from the file extension
   * @param text text options; null for {@link CsvOptions#defaults()}
   * @param badRows bad-row handler; null for {@link BadRowHandler#FAIL}
   */
  public ReadOptions {
    text = text == null ? CsvOptions.defaults() : text;
    badRows = badRows == null ? BadRowHandler.FAIL : badRows;
  }

  /** Format from the extension, default text options, stop at the first bad row. */
  public static ReadOptions defaults() {
    return new ReadOptions(null, null, null);
  }

  public ReadOptions withFormat(InputFormat format) {
    return new ReadOptions(format, text, badRows);
  }

  public ReadOptions withText(CsvOptions text) {
    return new ReadOptions(format, Objects.requireNonNull(text, "text"), badRows);
  }

  public ReadOptions withBadRows(BadRowHandler badRows) {
    return new ReadOptions(format, text, Objects.requireNonNull(badRows, "badRows"));
  }
}
