package io.streamforge.arrowio.read;

import static org.assertj.core.api.Assertions.assertThat;

import io.streamforge.arrowio.tensor.FloatMatrix;
import io.streamforge.arrowio.tensor.TensorConverter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Field;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Reads the datasets bundled under {@code datasets/} at the repository root, when present. */
class BundledDatasetsTest {

  /** The {@code datasets} directory of the enclosing repository, if there is one. */
  static Optional<Path> datasetsDir() {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      Path d = p.resolve("datasets");
      if (Files.isDirectory(d)) {
        return Optional.of(d);
      }
      if (Files.exists(p.resolve("mvnw")) || Files.isDirectory(p.resolve(".git"))) {
        break; // repository root reached
      }
    }
    return Optional.empty();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({
    "iris.csv, true, 150, 4",
    "wine.csv, true, 178, 13",
    "breast_cancer.csv, true, 569, 30",
    "digits.csv, false, 1797, 64"
  })
  void readsBundledDataset(String name, boolean header, int expectedRows, int expectedFeatures)
      throws IOException {
    Optional<Path> dir = datasetsDir();
    Assumptions.assumeTrue(dir.isPresent(), "no datasets/ directory at the repository root");
    Path file = dir.get().resolve(name);
    assertThat(file).as("bundled dataset").isRegularFile();

    try (BufferAllocator allocator = new RootAllocator()) {
      ReadOptions options =
          ReadOptions.defaults().withText(CsvOptions.builder().header(header).build());
      try (BatchSource src = BatchSources.open(file, allocator, options)) {
        List<Field> fields = src.schema().getFields();
        String label;
        if (header) {
          List<String> labels =
              fields.stream().map(Field::getName).filter(n -> n.endsWith("label")).toList();
          assertThat(labels).as("columns ending in 'label' in %s", fields).isNotEmpty();
          label = labels.get(labels.size() - 1);
        } else {
          assertThat(fields).hasSize(65);
          label = fields.get(64).getName();
          assertThat(label).isEqualTo("c64");
        }
        // Throws unless every column is numeric (the label is an integer class id).
        TensorConverter converter = TensorConverter.withLabel(src.schema(), label);
        assertThat(converter.featureCount()).isEqualTo(expectedFeatures);
        long rows = 0;
        VectorSchemaRoot next;
        while ((next = src.next()) != null) {
          try (VectorSchemaRoot batch = next) {
            FloatMatrix m = converter.convert(batch);
            rows += m.rows();
            for (float v : m.data()) {
              assertThat(Float.isFinite(v)).as("feature values of %s are finite", name).isTrue();
            }
            for (float v : m.labels()) {
              assertThat(v).as("labels of %s are class ids", name).isBetween(0f, 9f);
              assertThat(v % 1).isZero();
            }
          }
        }
        assertThat(rows).isEqualTo(expectedRows);
        assertThat(src.rowsRead()).isEqualTo(expectedRows);
      }
      assertThat(allocator.getAllocatedMemory()).isZero();
    }
  }
}
