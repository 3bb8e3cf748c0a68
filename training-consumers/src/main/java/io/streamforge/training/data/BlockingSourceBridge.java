package io.streamforge.training.data;

import java.util.Iterator;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import java.util.function.Function;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Scheduler;

/**
 * Bridges a blocking, single-threaded source (a {@code KafkaConsumer} behind a {@code
 * DatasetReader}, a file reader) into a Flux with backpressure.
 *
 * <p>The source is pulled only on {@code scheduler}'s thread and only as far as downstream demand
 * goes: each request(n) makes the worker pull and convert exactly n items, which land in the
 * downstream's bounded queue ({@link #prefetch}). A source that is not pulled does not poll Kafka,
 * so the consumer's fetch buffer, not the stream, bounds memory. Conversion runs on the source
 * thread too, so items that cross threads own no native memory. Errors of the source or of the
 * conversion become error signals; cancellation and completion release the source.
 */
public final class BlockingSourceBridge {
  private BlockingSourceBridge() {}

  /**
   * @param open opens the source when a subscriber arrives (on the source thread)
   * @param convert turns each source item into the emitted item; it owns the source item and must
   *     release it
   * @param release releases the opened source at completion, error or cancellation
   * @param scheduler the thread the source is pulled on; one source per single-threaded scheduler
   * @param prefetch how many converted items may wait downstream
   */
  public static <C extends Iterator<S>, S, T> Flux<T> from(
      Callable<C> open,
      Function<S, T> convert,
      Consumer<C> release,
      Scheduler scheduler,
      int prefetch) {
    Objects.requireNonNull(open, "open");
    Objects.requireNonNull(convert, "convert");
    Objects.requireNonNull(release, "release");
    Objects.requireNonNull(scheduler, "scheduler");
    if (prefetch < 1) {
      throw new IllegalArgumentException("prefetch must be at least 1, was " + prefetch);
    }
    Flux<T> pulled =
        Flux.generate(
            open,
            (C source, reactor.core.publisher.SynchronousSink<T> sink) -> {
              if (source.hasNext()) {
                sink.next(convert.apply(source.next()));
              } else {
                sink.complete();
              }
              return source;
            },
            release);
    // requests run on the source thread too, so the source is touched by that thread only
    return pulled.subscribeOn(scheduler, true).limitRate(prefetch);
  }
}
