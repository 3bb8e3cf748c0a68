package io.streamforge.arrowio.read;

import java.io.IOException;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * A source of Arrow record batches of a fixed schema, read from a file or stream.
 *
 * <p>Each call to {@link #next()} returns a fresh {@link VectorSchemaRoot} that the caller owns and
 * must close. Rows that cannot be parsed are handed to the source's {@link BadRowHandler}; a
 * handler that throws stops the read.
 */
public interface BatchSource extends AutoCloseable {

  /** The schema every batch has (after type inference and overrides). */
  Schema schema();

  /**
   * Dictionaries of dictionary-encoded columns, valid for the batch returned last by {@link
   * #next()} until the next call. Empty when no column is dictionary-encoded.
   */
  DictionaryProvider dictionaries();

  /** The next batch of at most the configured number of rows, or {@code null} at the end. */
  VectorSchemaRoot next() throws IOException;

  /** Good rows returned so far. */
  long rowsRead();

  /** Input bytes consumed so far (for progress and throughput). */
  long bytesRead();

  /** Total input size in bytes when known, else -1. */
  long totalBytes();

  @Override
  void close() throws IOException;
}
