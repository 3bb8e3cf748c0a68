package io.streamforge.arrowio.read;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.ValueVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.dictionary.Dictionary;
import org.apache.arrow.vector.dictionary.DictionaryEncoder;
import org.apache.arrow.vector.types.pojo.DictionaryEncoding;
import org.apache.arrow.vector.util.Text;

/** Test helpers: read every batch of a source into plain Java values. */
final class Batches {
  private Batches() {}

  /** All rows, and the size of each batch. */
  record Result(List<List<Object>> rows, List<Integer> batchSizes) {}

  static InputStream utf8(String text) {
    return new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8));
  }

  static CsvBatchSource csv(
      String text, CsvOptions options, BufferAllocator allocator, BadRowHandler handler)
      throws IOException {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    return CsvBatchSource.open(
        new ByteArrayInputStream(bytes), "data.csv", bytes.length, options, allocator, handler);
  }

  static JsonLinesBatchSource json(
      String text, CsvOptions options, BufferAllocator allocator, BadRowHandler handler)
      throws IOException {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    return JsonLinesBatchSource.open(
        new ByteArrayInputStream(bytes), "data.jsonl", bytes.length, options, allocator, handler);
  }

  /** Reads the source to its end; dictionary columns are decoded, strings become String. */
  static Result readAll(BatchSource source) throws IOException {
    List<List<Object>> rows = new ArrayList<>();
    List<Integer> sizes = new ArrayList<>();
    VectorSchemaRoot batch;
    while ((batch = source.next()) != null) {
      try (VectorSchemaRoot b = batch) {
        sizes.add(b.getRowCount());
        List<List<Object>> columns = new ArrayList<>();
        for (FieldVector v : b.getFieldVectors()) {
          columns.add(values(v, source));
        }
        for (int r = 0; r < b.getRowCount(); r++) {
          List<Object> row = new ArrayList<>();
          for (List<Object> c : columns) {
            row.add(c.get(r));
          }
          rows.add(row);
        }
      }
    }
    return new Result(rows, sizes);
  }

  static List<Object> values(FieldVector v, BatchSource source) {
    DictionaryEncoding enc = v.getField().getDictionary();
    if (enc != null) {
      Dictionary d = source.dictionaries().lookup(enc.getId());
      try (ValueVector decoded = DictionaryEncoder.decode(v, d)) {
        return plain(decoded);
      }
    }
    return plain(v);
  }

  static List<Object> plain(ValueVector v) {
    List<Object> out = new ArrayList<>(v.getValueCount());
    for (int i = 0; i < v.getValueCount(); i++) {
      Object o = v.getObject(i);
      out.add(o instanceof Text t ? t.toString() : o);
    }
    return out;
  }

  static List<Object> row(Object... values) {
    return java.util.Arrays.asList(values);
  }
}
