package io.streamforge.agents.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class DatasetStatsTest {
  private static final int ROWS = 3000;
  private BufferAllocator allocator;
  private TestTable table;
  private DatasetStats whole;

  @BeforeEach
  void setUp() {
    allocator = new RootAllocator();
    table = new TestTable(allocator, ROWS, 42);
    whole = DatasetStats.empty("t", 1).add(table.batch(0, ROWS), table.dictionaries);
  }

  @AfterEach
  void tearDown() {
    table.close();
    allocator.close();
  }

  @Test
  void countsRowsBatchesAndEveryColumnInSchemaOrder() {
    assertThat(whole.rows()).isEqualTo(ROWS);
    assertThat(whole.batches()).isEqualTo(1);
    assertThat(whole.columns().keySet())
        .containsExactly("i", "x", "f", "u", "s", "d", "b", "label");
    assertThat(whole.columns().values())
        .extracting(ColumnStats::type)
        .containsExactly(
            "int32", "float64", "float32", "utf8", "utf8", "dictionary(utf8)", "bool", "int64");
  }

  @Test
  void numericColumnsEqualANaiveTwoPassComputation() {
    for (String name : List.of("i", "x", "f", "b", "label")) {
      Double[] v = table.numbers(name);
      long n = 0;
      long nulls = 0;
      double sum = 0;
      double min = Double.POSITIVE_INFINITY;
      double max = Double.NEGATIVE_INFINITY;
      for (Double d : v) {
        if (d == null) {
          nulls++;
          continue;
        }
        n++;
        sum += d;
        min = Math.min(min, d);
        max = Math.max(max, d);
      }
      double mean = sum / n;
      double ss = 0;
      for (Double d : v) {
        if (d != null) {
          ss += (d - mean) * (d - mean);
        }
      }
      ColumnStats c = whole.column(name);
      assertThat(c.count()).as(name).isEqualTo(n);
      assertThat(c.nulls()).as(name).isEqualTo(nulls);
      assertThat(c.mean()).as(name).isCloseTo(mean, within(1e-9 * Math.abs(mean)));
      assertThat(c.variance()).as(name).isCloseTo(ss / n, within(1e-9 * ss / n));
      assertThat(c.min()).as(name).isEqualTo(min);
      assertThat(c.max()).as(name).isEqualTo(max);
    }
    assertThat(whole.column("x").nulls()).as("nulls and NaNs").isGreaterThan(ROWS / 11);
  }

  @Test
  void valueCountsAndDistinctValuesEqualANaiveCount() {
    for (String name : List.of("i", "f", "s", "d", "b", "label")) {
      Map<String, Long> counts = new HashMap<>();
      long nulls = 0;
      for (String k : table.keys(name)) {
        if (k == null) {
          nulls++;
        } else {
          counts.merge(k, 1L, Long::sum);
        }
      }
      ColumnStats c = whole.column(name);
      assertThat(c.topValues()).as(name).isEqualTo(counts);
      assertThat(c.distinctEstimate()).as(name).isEqualTo(counts.size());
      assertThat(c.distinct().estimate()).as(name + " sketch").isEqualTo(counts.size());
      assertThat(c.nulls()).as(name).isEqualTo(nulls);
    }
    assertThat(whole.column("f").topValues()).containsOnlyKeys("0.1", "0.2", "0.5");
    assertThat(whole.column("d").topValues()).containsOnlyKeys("red", "green", "blue");
    assertThat(whole.column("s").mean()).isNaN();
  }

  @Test
  void aColumnWithMoreThanAThousandValuesKeepsOnlyTheSketch() {
    ColumnStats u = whole.column("u");
    Set<String> distinct = new HashSet<>(List.of(table.u));

    assertThat(u.topValues()).isNull();
    assertThat((double) u.distinctEstimate()).isCloseTo(distinct.size(), within(0.03 * ROWS));
  }

  @Test
  void mergingSplitHalvesEqualsTheWhole() {
    DatasetStats a = DatasetStats.empty("t", 1).add(table.batch(0, 1300), table.dictionaries);
    DatasetStats b = DatasetStats.empty("t", 1).add(table.batch(1300, ROWS), table.dictionaries);
    DatasetStats sequential = a.add(table.batch(1300, ROWS), table.dictionaries);

    for (DatasetStats merged : List.of(a.merge(b), b.merge(a), sequential)) {
      assertThat(merged.rows()).isEqualTo(ROWS);
      assertThat(merged.batches()).isEqualTo(2);
      for (ColumnStats w : whole.columns().values()) {
        ColumnStats m = merged.column(w.name());
        assertThat(m.count()).isEqualTo(w.count());
        assertThat(m.nulls()).isEqualTo(w.nulls());
        assertThat(m.distinct()).isEqualTo(w.distinct());
        assertThat(m.topValues()).isEqualTo(w.topValues());
        if (!Double.isNaN(w.mean())) {
          assertThat(m.mean()).as(w.name()).isCloseTo(w.mean(), within(1e-9 * Math.abs(w.mean())));
          assertThat(m.m2()).as(w.name()).isCloseTo(w.m2(), within(1e-9 * w.m2()));
          assertThat(m.min()).isEqualTo(w.min());
          assertThat(m.max()).isEqualTo(w.max());
        }
      }
    }
    assertThat(a.rows()).as("add leaves the state it was called on alone").isEqualTo(1300);
  }

  @Test
  void labelDistributionIsOrderedNumerically() {
    Map<String, Long> dist = whole.labelDistribution("label");

    assertThat(dist.keySet())
        .containsExactly("0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11");
    assertThat(dist.values().stream().mapToLong(Long::longValue).sum()).isEqualTo(ROWS);
    assertThat(whole.labelDistribution("d").keySet()).containsExactly("blue", "green", "red");
    assertThat(whole.labelDistribution("u")).isEmpty();
  }

  @Test
  void floatLabelsAreKeyedCanonically() {
    try (Float8Vector y = new Float8Vector("y", allocator)) {
      double[] values = {3.0, 1.0, 3.0, 2.5, -0.0, 0.0, 1e20};
      for (int r = 0; r < values.length; r++) {
        y.setSafe(r, values[r]);
      }
      y.setValueCount(values.length);
      VectorSchemaRoot root = new VectorSchemaRoot(List.of(y));
      root.setRowCount(values.length);

      Map<String, Long> dist = DatasetStats.empty("t", 1).add(root, null).labelDistribution("y");

      assertThat(dist)
          .containsExactly(
              Map.entry("0", 2L),
              Map.entry("1", 1L),
              Map.entry("2.5", 1L),
              Map.entry("3", 2L),
              Map.entry("1.0E20", 1L));
    }
  }

  @Test
  void roundTripsThroughJson() throws Exception {
    ObjectMapper json = new ObjectMapper();

    DatasetStats back = json.readValue(json.writeValueAsString(whole), DatasetStats.class);

    assertThat(back).isEqualTo(whole);
    assertThat(back.columns().keySet()).containsExactlyElementsOf(whole.columns().keySet());
  }

  @Test
  void refusesToMergeOtherVersionsOrTypes() {
    assertThatThrownBy(() -> whole.merge(DatasetStats.empty("t", 2)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("t:1")
        .hasMessageContaining("t:2");
    ColumnStats i = whole.column("i");
    assertThatThrownBy(() -> i.merge(ColumnStats.empty("i", "float64")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("int32")
        .hasMessageContaining("float64");
    assertThatThrownBy(() -> whole.column("nope")).hasMessageContaining("i, x, f");
  }

  @Test
  void aDictionaryColumnNeedsItsDictionary() {
    var root = table.batch(0, 10);
    assertThatThrownBy(() -> DatasetStats.empty("t", 1).add(root, null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("column 'd'")
        .hasMessageContaining("dictionary 7");
  }
}
