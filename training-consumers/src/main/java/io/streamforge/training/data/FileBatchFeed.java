package io.streamforge.training.data;

import io.streamforge.arrowio.read.BatchSource;
import io.streamforge.arrowio.read.BatchSources;
import io.streamforge.arrowio.read.ReadOptions;
import io.streamforge.arrowio.tensor.CategoryCollector;
import io.streamforge.arrowio.tensor.FeatureEncoding;
import io.streamforge.arrowio.tensor.TensorConverter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * A local CSV / JSON-lines / Arrow file as a feed, read from disk again each epoch (for training
 * without a broker, and for tests of the trainer alone). Batches are numbered in file order.
 */
public final class FileBatchFeed implements BatchFeed {
  private final Path file;
  private final ReadOptions options;
  private final BufferAllocator allocator;
  private final TensorConverter converter;
  private final Scheduler scheduler;
  private final int prefetch;

  public FileBatchFeed(
      Path file,
      ReadOptions options,
      List<String> features,
      String label,
      BufferAllocator allocator,
      int prefetch) {
    this(file, options, features, label, Map.of(), allocator, prefetch);
  }

  /**
   * A feed whose text feature columns are one-hot encoded over {@code categories}; those without
   * given categories get the values found in one pass over the file.
   */
  public FileBatchFeed(
      Path file,
      ReadOptions options,
      List<String> features,
      String label,
      Map<String, List<String>> categories,
      BufferAllocator allocator,
      int prefetch) {
    this.file = file;
    this.options = options;
    this.allocator = allocator;
    this.prefetch = prefetch;
    try (BatchSource source = BatchSources.open(file, allocator, options)) {
      CategoryCollector found = new CategoryCollector(source.schema(), features, label, categories);
      while (found.needsData()) {
        try (VectorSchemaRoot root = source.next()) {
          if (root == null) {
            break;
          }
          found.add(root);
        }
      }
      this.converter = new TensorConverter(source.schema(), features, label, found.categories());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
    }
    this.scheduler = Schedulers.newSingle("sf-feed-" + file.getFileName(), true);
  }

  @Override
  public List<String> featureColumns() {
    return converter.featureColumns();
  }

  @Override
  public FeatureEncoding encoding() {
    return converter.encoding();
  }

  @Override
  public String labelColumn() {
    return converter.labelColumn().orElseThrow();
  }

  @Override
  public String contentHash() {
    return null;
  }

  @Override
  public String describe() {
    return file.getFileName().toString();
  }

  @Override
  public Flux<TensorBatch> epoch() {
    return BlockingSourceBridge.from(
        () -> new SourceIterator(BatchSources.open(file, allocator, options)),
        this::convert,
        SourceIterator::close,
        scheduler,
        prefetch);
  }

  private TensorBatch convert(Numbered b) {
    try (VectorSchemaRoot root = b.root) {
      int rows = root.getRowCount();
      float[] x = new float[rows * converter.featureCount()];
      float[] y = new float[rows];
      converter.features(root, x, 0);
      converter.labels(root, y, 0);
      return new TensorBatch(b.sequence, rows, converter.featureCount(), x, y);
    }
  }

  private record Numbered(long sequence, VectorSchemaRoot root) {}

  /** Batch sources reuse their root; each item is converted before the next is read. */
  private static final class SourceIterator implements Iterator<Numbered> {
    private final BatchSource source;
    private VectorSchemaRoot pending;
    private long sequence;
    private boolean done;

    SourceIterator(BatchSource source) {
      this.source = source;
    }

    @Override
    public boolean hasNext() {
      if (pending == null && !done) {
        try {
          pending = source.next();
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
        done = pending == null;
      }
      return pending != null;
    }

    @Override
    public Numbered next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      Numbered n = new Numbered(sequence++, pending);
      pending = null;
      return n;
    }

    void close() {
      try {
        if (pending != null) {
          pending.close();
        }
        source.close();
      } catch (IOException e) {
        throw new IllegalStateException("cannot close " + source, e);
      }
    }
  }

  @Override
  public void close() {
    scheduler.dispose();
  }
}
