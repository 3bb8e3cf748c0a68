package io.streamforge.arrowio.read;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;
import org.apache.arrow.memory.BufferAllocator;

/** Opens a {@link BatchSource} for a file, choosing the reader by format. */
public final class BatchSources {
  private BatchSources() {}

  /** Opens {@code file} with the format chosen from its extension and default options. */
  public static BatchSource open(Path file, BufferAllocator allocator) throws IOException {
    return open(file, allocator, ReadOptions.defaults());
  }

  /**
   * Opens {@code file}. The format is {@link ReadOptions#format()} or else chosen from the
   * extension: {@code .csv}, {@code .tsv} (CSV with a tab delimiter, whatever delimiter the text
   * options set), {@code .jsonl}/{@code .ndjson}/{@code .json} (JSON lines), {@code .arrow}/{@code
   * .arrows}/{@code .feather}/{@code .ipc} (Arrow IPC file or stream).
   *
   * @throws IllegalArgumentException when no format is given and the extension is not one of those
   */
  public static BatchSource open(Path file, BufferAllocator allocator, ReadOptions options)
      throws IOException {
    Objects.requireNonNull(file, "file");
    Objects.requireNonNull(options, "options");
    InputFormat format = options.format() != null ? options.format() : formatOf(file);
    CsvOptions text = options.text();
    return switch (format) {
      case CSV -> CsvBatchSource.open(file, text, allocator, options.badRows());
      case TSV ->
          CsvBatchSource.open(
              file, text.toBuilder().delimiter('\t').build(), allocator, options.badRows());
      case JSON_LINES -> JsonLinesBatchSource.open(file, text, allocator, options.badRows());
      case ARROW -> ArrowFileBatchSource.open(file, text.batchRows(), allocator);
    };
  }

  /**
   * The format {@code file}'s extension selects.
   *
   * @throws IllegalArgumentException naming the file and listing the supported extensions
   */
  public static InputFormat formatOf(Path file) {
    Path name = file.getFileName();
    String fileName = name == null ? file.toString() : name.toString();
    return InputFormat.forFileName(fileName)
        .orElseThrow(
            () ->
                new IllegalArgumentException(
                    "cannot tell the format of "
                        + file
                        + " from its extension; supported extensions: "
                        + InputFormat.supported()
                        + "; or give the format explicitly"));
  }
}
