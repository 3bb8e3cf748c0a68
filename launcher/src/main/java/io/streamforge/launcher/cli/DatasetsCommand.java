package io.streamforge.launcher.cli;

import io.streamforge.arrowio.dataset.DatasetCatalog;
import io.streamforge.arrowio.dataset.DatasetReader;
import io.streamforge.arrowio.dataset.KafkaClients;
import io.streamforge.schemas.arrow.Allocators;
import io.streamforge.schemas.arrow.DatasetBatch;
import io.streamforge.schemas.records.DatasetManifest;
import java.io.PrintStream;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.types.pojo.Field;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code streamforge datasets [show NAME]}. */
@Command(
    name = "datasets",
    mixinStandardHelpOptions = true,
    description = "Lists datasets and their versions.",
    subcommands = {DatasetsCommand.Show.class})
public final class DatasetsCommand implements Callable<Integer> {
  @Mixin ConnectionOptions connection;

  @Override
  public Integer call() {
    DatasetCatalog catalog = DatasetCatalog.load(connection.clients());
    PrintStream out = System.out;
    if (catalog.names().isEmpty()) {
      out.println("no datasets yet: publish one with 'streamforge publish FILE --dataset NAME'");
      return 0;
    }
    out.printf(
        "%-24s %7s %-8s %12s %8s %6s  %s%n",
        "DATASET", "VERSION", "STATUS", "ROWS", "BAD", "CODEC", "SOURCE");
    for (String name : catalog.names()) {
      for (DatasetManifest m : catalog.versions(name)) {
        out.printf(
            "%-24s %7d %-8s %,12d %8d %6s  %s%n",
            m.dataset(), m.version(), m.status(), m.rowCount(), m.badRows(), m.codec(), m.source());
      }
    }
    return 0;
  }

  /** {@code streamforge datasets show NAME [--version V] [--rows N]}. */
  @Command(
      name = "show",
      mixinStandardHelpOptions = true,
      description = "Prints a dataset version's manifest and its first rows.")
  public static final class Show implements Callable<Integer> {
    @Mixin ConnectionOptions connection;

    @Parameters(index = "0", paramLabel = "NAME", description = "Dataset name.")
    String name;

    @Option(names = "--version", description = "Version (default: the latest sealed one).")
    Integer version;

    @Option(
        names = "--rows",
        defaultValue = "5",
        description = "Rows to print (default ${DEFAULT-VALUE}).")
    int rows;

    @Override
    public Integer call() {
      show(connection.clients(), name, version, rows, System.out);
      return 0;
    }
  }

  /**
   * Prints the manifest of {@code name} (at {@code version}, or the latest sealed) and a sample.
   */
  public static void show(
      KafkaClients clients, String name, Integer version, int rows, PrintStream out) {
    DatasetManifest m = DatasetCatalog.load(clients).readable(name, version);
    out.println("dataset        " + m.dataset());
    out.println("version        " + m.version() + " (" + m.status() + ")");
    out.println("source         " + m.source());
    out.printf(
        "rows           %,d in %d batches (%d bad rows sent to the dead-letter topic)%n",
        m.rowCount(), m.batchCount(), m.badRows());
    out.println("label          " + (m.labelColumn() == null ? "-" : m.labelColumn()));
    out.println("codec          " + m.codec());
    out.println("content hash   " + m.contentHash());
    out.println("producer       " + m.producerId());
    out.println("created        " + m.createdAt());
    out.println("sealed         " + m.sealedAt());
    StringBuilder parts = new StringBuilder();
    for (DatasetManifest.PartitionRange r : m.partitions()) {
      parts.append(String.format("p%d [%d, %d)  ", r.partition(), r.startOffset(), r.endOffset()));
    }
    out.println("offsets        " + parts.toString().trim());
    try (BufferAllocator allocator = Allocators.child("datasets-show");
        DatasetReader reader = DatasetReader.open(clients, m, null, allocator)) {
      out.println("schema         " + reader.schema().getFields().size() + " columns");
      printSchema(reader.schema().getFields(), out);
      Iterator<DatasetBatch> it = reader.epoch();
      if (rows > 0 && it.hasNext()) {
        try (DatasetBatch first = it.next()) {
          out.println("first rows (batch " + first.metadata().sequence() + ")");
          Tables.print(first, rows, out);
        }
      }
    }
  }

  /** One line per column, or per run of four or more consecutive columns of the same type. */
  static void printSchema(List<Field> fields, PrintStream out) {
    int i = 0;
    while (i < fields.size()) {
      String type = typeOf(fields.get(i));
      int j = i + 1;
      while (j < fields.size() && typeOf(fields.get(j)).equals(type)) {
        j++;
      }
      if (j - i >= 4) {
        String names = fields.get(i).getName() + " .. " + fields.get(j - 1).getName();
        out.printf("  %-28s %s  (%d columns)%n", names, type, j - i);
        i = j;
      } else {
        out.printf("  %-28s %s%n", fields.get(i).getName(), type);
        i++;
      }
    }
  }

  private static String typeOf(Field f) {
    return f.getType() + (f.isNullable() ? "" : " not null");
  }
}
