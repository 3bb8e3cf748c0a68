package io.streamforge.arrowio.read;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.dictionary.Dictionary;
import org.apache.arrow.vector.types.pojo.DictionaryEncoding;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/** Column buffers for the text readers and the conversion of a full batch to Arrow. */
final class BatchBuilder {
  final List<ColumnSpec> specs;
  final Schema schema;
  final ColumnBuffer[] columns;
  private final ColumnBuffer[] marked;

  BatchBuilder(List<ColumnSpec> specs, int batchRows) {
    this.specs = List.copyOf(specs);
    this.schema = schemaOf(specs);
    this.columns = new ColumnBuffer[specs.size()];
    int initial = Math.min(batchRows, 1024);
    for (int i = 0; i < columns.length; i++) {
      columns[i] = ColumnBuffer.create(specs.get(i), initial);
    }
    this.marked =
        java.util.Arrays.stream(columns)
            .filter(ColumnBuffer::needsRowMarks)
            .toArray(ColumnBuffer[]::new);
  }

  /** Call before writing a row. */
  void markRow() {
    for (ColumnBuffer c : marked) {
      c.markRow();
    }
  }

  /** Call when a row is rejected after {@link #markRow()}. */
  void rollbackRow() {
    for (ColumnBuffer c : marked) {
      c.rollbackRow();
    }
  }

  static Schema schemaOf(List<ColumnSpec> specs) {
    List<Field> fields = new ArrayList<>(specs.size());
    for (ColumnSpec s : specs) {
      FieldType type =
          s.dictionary()
              ? new FieldType(
                  true,
                  ColumnBuffer.INDEX_TYPE,
                  new DictionaryEncoding(s.dictionaryId(), false, ColumnBuffer.INDEX_TYPE))
              : FieldType.nullable(s.type().arrowType());
      fields.add(new Field(s.name(), type, null));
    }
    return new Schema(fields);
  }

  /** A batch of the first {@code rows} rows, and this batch's dictionaries into {@code dicts}. */
  VectorSchemaRoot build(int rows, BufferAllocator allocator, Map<Long, Dictionary> dicts) {
    VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator);
    Map<Long, Dictionary> made = new HashMap<>();
    try {
      for (int i = 0; i < columns.length; i++) {
        columns[i].fill(root.getVector(i), rows);
        Dictionary d = columns[i].dictionary(allocator);
        if (d != null) {
          made.put(d.getEncoding().getId(), d);
        }
      }
      root.setRowCount(rows);
    } catch (RuntimeException | Error e) {
      root.close();
      made.values().forEach(d -> d.getVector().close());
      throw e;
    }
    dicts.putAll(made);
    for (ColumnBuffer c : columns) {
      c.reset();
    }
    return root;
  }
}
