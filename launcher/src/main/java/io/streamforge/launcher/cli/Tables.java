package io.streamforge.launcher.cli;

import io.streamforge.schemas.arrow.DatasetBatch;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.ValueVector;
import org.apache.arrow.vector.dictionary.Dictionary;
import org.apache.arrow.vector.types.pojo.Field;

/** Prints the first rows of a batch as an aligned text table. */
final class Tables {
  private static final int MAX_COLUMNS = 12;
  private static final int MAX_WIDTH = 18;

  private Tables() {}

  static void print(DatasetBatch batch, int rows, PrintStream out) {
    List<FieldVector> vectors = batch.root().getFieldVectors();
    int n = Math.min(rows, batch.rowCount());
    int cols = Math.min(vectors.size(), MAX_COLUMNS);
    List<String[]> cells = new ArrayList<>();
    String[] head = new String[cols];
    for (int c = 0; c < cols; c++) {
      head[c] = vectors.get(c).getName();
    }
    cells.add(head);
    for (int r = 0; r < n; r++) {
      String[] line = new String[cols];
      for (int c = 0; c < cols; c++) {
        line[c] = value(batch, vectors.get(c), r);
      }
      cells.add(line);
    }
    int[] width = new int[cols];
    for (String[] line : cells) {
      for (int c = 0; c < cols; c++) {
        width[c] = Math.min(MAX_WIDTH, Math.max(width[c], line[c].length()));
      }
    }
    for (String[] line : cells) {
      StringBuilder sb = new StringBuilder("  ");
      for (int c = 0; c < cols; c++) {
        String v =
            line[c].length() > MAX_WIDTH ? line[c].substring(0, MAX_WIDTH - 1) + "…" : line[c];
        sb.append(String.format("%-" + width[c] + "s  ", v));
      }
      if (vectors.size() > cols) {
        sb.append("… (+").append(vectors.size() - cols).append(" columns)");
      }
      out.println(sb.toString().stripTrailing());
    }
  }

  private static String value(DatasetBatch batch, FieldVector v, int row) {
    if (v.isNull(row)) {
      return "null";
    }
    Field f = v.getField();
    if (f.getDictionary() != null) {
      Dictionary d = batch.dictionaries().lookup(f.getDictionary().getId());
      int index = ((Number) v.getObject(row)).intValue();
      ValueVector values = d.getVector();
      return String.valueOf(values.getObject(index));
    }
    return String.valueOf(v.getObject(row));
  }
}
