package io.streamforge.training.data;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Subscription;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

class BlockingSourceBridgeTest {
  private final Scheduler scheduler = Schedulers.newSingle("bridge-test");

  @AfterEach
  void tearDown() {
    scheduler.dispose();
  }

  /** A blocking source of 0..n-1 that counts pulls and records the threads that pull. */
  static final class CountingSource implements Iterator<Integer> {
    final int n;
    final AtomicInteger pulled = new AtomicInteger();
    final Set<String> threads = ConcurrentHashMap.newKeySet();
    final AtomicBoolean released = new AtomicBoolean();

    CountingSource(int n) {
      this.n = n;
    }

    @Override
    public boolean hasNext() {
      threads.add(Thread.currentThread().getName());
      return pulled.get() < n;
    }

    @Override
    public Integer next() {
      threads.add(Thread.currentThread().getName());
      return pulled.getAndIncrement();
    }
  }

  /** A subscriber that requests only what the test asks for. */
  static final class Manual extends BaseSubscriber<Integer> {
    final List<Integer> received = new CopyOnWriteArrayList<>();
    final AtomicReference<Throwable> error = new AtomicReference<>();
    final CountDownLatch done = new CountDownLatch(1);

    @Override
    protected void hookOnSubscribe(Subscription s) {}

    @Override
    protected void hookOnNext(Integer v) {
      received.add(v);
    }

    @Override
    protected void hookOnError(Throwable t) {
      error.set(t);
      done.countDown();
    }

    @Override
    protected void hookOnComplete() {
      done.countDown();
    }
  }

  private static void awaitReleased(CountingSource source) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!source.released.get() && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertThat(source.released).isTrue();
  }

  private static void awaitSize(List<?> list, int size) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (list.size() < size && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertThat(list).hasSize(size);
  }

  @Test
  void pullsOnlyWhatIsRequestedPlusPrefetchOnItsOwnThread() throws Exception {
    CountingSource source = new CountingSource(100);
    Flux<Integer> flux =
        BlockingSourceBridge.from(
            () -> source, i -> i * 10, s -> s.released.set(true), scheduler, 4);
    Manual sub = new Manual();
    flux.subscribe(sub);
    sub.request(2);
    awaitSize(sub.received, 2);
    Thread.sleep(300); // a bounded wait: nothing more may be pulled without demand
    assertThat(sub.received).containsExactly(0, 10);
    assertThat(source.pulled.get()).as("pulled ahead of demand").isLessThanOrEqualTo(2 + 4);
    int pulledWhileIdle = source.pulled.get();
    Thread.sleep(200);
    assertThat(source.pulled.get()).isEqualTo(pulledWhileIdle);

    sub.request(Long.MAX_VALUE);
    assertThat(sub.done.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(sub.error.get()).isNull();
    assertThat(sub.received).hasSize(100).startsWith(0, 10, 20).endsWith(990);
    assertThat(source.pulled.get()).isEqualTo(100);
    assertThat(source.threads)
        .as("threads that pulled the source")
        .hasSize(1)
        .allMatch(n -> n.startsWith("bridge-test-"));
    awaitReleased(source); // released just after the terminal signal
  }

  @Test
  void aFailingConversionBecomesAnErrorSignalAndReleasesTheSource() throws Exception {
    CountingSource source = new CountingSource(10);
    Flux<Integer> flux =
        BlockingSourceBridge.from(
            () -> source,
            i -> {
              if (i == 3) {
                throw new IllegalStateException("bad batch 3");
              }
              return i;
            },
            s -> s.released.set(true),
            scheduler,
            2);
    Manual sub = new Manual();
    flux.subscribe(sub);
    sub.request(Long.MAX_VALUE);
    assertThat(sub.done.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(sub.received).containsExactly(0, 1, 2);
    assertThat(sub.error.get()).hasMessage("bad batch 3");
    awaitReleased(source); // released just after the terminal signal
  }

  @Test
  void cancellingStopsPullingAndReleasesTheSource() throws Exception {
    CountingSource source = new CountingSource(1_000_000);
    Flux<Integer> flux =
        BlockingSourceBridge.from(() -> source, i -> i, s -> s.released.set(true), scheduler, 8);
    List<Integer> firstFive = flux.take(5).collectList().block(Duration.ofSeconds(10));
    assertThat(firstFive).containsExactly(0, 1, 2, 3, 4);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (!source.released.get() && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertThat(source.released).isTrue();
    assertThat(source.pulled.get()).isLessThanOrEqualTo(5 + 8);
  }
}
