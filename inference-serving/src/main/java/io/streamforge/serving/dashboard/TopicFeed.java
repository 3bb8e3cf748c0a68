package io.streamforge.serving.dashboard;

import io.streamforge.arrowio.dataset.KafkaClients;
import io.streamforge.schemas.TopicAdmin;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The shared live tail of one topic on one edge: a consumer on its own thread (no group, every
 * partition assigned, {@code read_committed}) that starts at the topic's end, decodes each record
 * once and hands it to every client that reads the stream live.
 *
 * <p>It never waits for a client: one whose buffer is full is dropped as too slow. Nothing else
 * waits for it either: clients that read live from now on are handed over through a queue that the
 * tail drains between two polls, so an event loop never contends for its lock. Clients that start
 * behind the tail read history with their own {@link CatchUp} reader and join here once they have
 * caught up; {@link #tryJoin} compares positions under the same lock as the fan-out, so no record
 * is missed or sent twice at the seam.
 */
final class TopicFeed implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(TopicFeed.class);

  private final Stream stream;
  private final KafkaClients clients;
  private final String clientId;
  private final Consumer<SseClient> onSlow;
  private final Object lock = new Object();
  private final List<SseClient> live = new ArrayList<>(); // guarded by lock
  private final ConcurrentLinkedQueue<SseClient> joining = new ConcurrentLinkedQueue<>();
  private Map<Integer, Long> tail; // guarded by lock; null until positioned
  private volatile List<Integer> partitions; // null until positioned
  private volatile boolean stopped;
  private final Thread thread;
  private volatile boolean running = true;
  private volatile KafkaConsumer<String, byte[]> consumer;

  /**
   * @param onSlow called (under this feed's lock: it must not take other feeds' locks) for a client
   *     dropped because its buffer was full
   */
  TopicFeed(
      Stream stream,
      KafkaClients clients,
      String clientId,
      String threadName,
      Consumer<SseClient> onSlow) {
    this.stream = stream;
    this.clients = clients;
    this.clientId = clientId;
    this.onSlow = onSlow;
    this.thread = new Thread(this::run, threadName);
    thread.setDaemon(true);
  }

  Stream stream() {
    return stream;
  }

  void start() {
    thread.start();
  }

  /** Whether the tail stopped (closed, or its consumer failed): a new one is needed. */
  boolean isStopped() {
    return stopped;
  }

  /**
   * Adds a client that reads this stream live from the tail's position on. Never waits (it is
   * called on an event loop): the tail thread adds it between two polls.
   */
  void subscribeLatest(SseClient client) {
    joining.add(client);
    if (stopped) {
      closeJoining(); // the tail may have stopped before it saw this client
    }
  }

  /**
   * Joins a catching-up client to the live tail if its reader has reached the tail's position in
   * every partition; from then on the tail sends it what lies beyond {@code positions}.
   *
   * @return false when the reader is still behind (or the tail is not positioned yet)
   */
  boolean tryJoin(SseClient client, Map<Integer, Long> positions) {
    synchronized (lock) {
      if (stopped) {
        client.close(SseClient.CloseReason.SHUTDOWN);
        return true;
      }
      if (tail == null) {
        return false;
      }
      for (var t : tail.entrySet()) {
        Long p = positions.get(t.getKey());
        if (p == null || p < t.getValue()) {
          return false;
        }
      }
      purge();
      client.join(stream, positions);
      live.add(client);
      return true;
    }
  }

  /**
   * The topic's partitions, once the tail is positioned (the topic exists then: the tail creates it
   * if needed); null before. Catch-up readers read the same partitions that they join on.
   */
  List<Integer> partitions() {
    return partitions;
  }

  /** Clients reading live now (for tests and the metrics). */
  int liveClients() {
    synchronized (lock) {
      purge();
      return live.size();
    }
  }

  private void purge() {
    live.removeIf(SseClient::isClosed);
  }

  /** Adds the clients waiting to read live, at the tail's position; under the lock. */
  private void admit() {
    SseClient c;
    while ((c = joining.poll()) != null) {
      if (!c.isClosed()) {
        c.join(stream, tail);
        live.add(c);
      }
    }
  }

  private void closeJoining() {
    SseClient c;
    while ((c = joining.poll()) != null) {
      c.close(SseClient.CloseReason.SHUTDOWN);
    }
  }

  private void run() {
    Map<String, Object> props = clients.consumer(clientId);
    props.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 100);
    try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(props)) {
      consumer = c;
      if (!running) {
        return;
      }
      TopicAdmin.ensure(clients.admin(), List.of(stream.topic()));
      List<TopicPartition> partitions = new ArrayList<>();
      for (PartitionInfo p : c.partitionsFor(stream.topic().name(), clients.apiTimeout())) {
        partitions.add(new TopicPartition(p.topic(), p.partition()));
      }
      c.assign(partitions);
      c.seekToEnd(partitions);
      Map<Integer, Long> start = positions(c, partitions);
      synchronized (lock) {
        tail = start;
        this.partitions = List.copyOf(start.keySet());
        admit();
      }
      log.debug("stream {}: tail of {} partitions from {}", stream.id(), partitions.size(), start);
      while (running) {
        ConsumerRecords<String, byte[]> records = c.poll(Duration.ofMillis(200));
        List<Delivery> batch = new ArrayList<>(records.count());
        for (ConsumerRecord<String, byte[]> r : records) {
          batch.add(CatchUp.decode(stream, r));
        }
        Map<Integer, Long> next = positions(c, partitions);
        synchronized (lock) {
          for (Delivery d : batch) {
            for (Iterator<SseClient> it = live.iterator(); it.hasNext(); ) {
              SseClient client = it.next();
              if (client.isClosed()) {
                it.remove();
              } else if (!client.offer(d)) {
                it.remove();
                onSlow.accept(client);
              }
            }
          }
          tail = next;
          admit();
        }
      }
    } catch (WakeupException e) {
      if (running) {
        log.error("stream {}: tail woken unexpectedly", stream.id(), e);
      }
    } catch (RuntimeException e) {
      log.error("stream {}: tail stopped, its clients are disconnected", stream.id(), e);
    } finally {
      List<SseClient> dropped;
      synchronized (lock) {
        stopped = true;
        dropped = new ArrayList<>(live);
        live.clear();
      }
      for (SseClient client : dropped) {
        client.close(SseClient.CloseReason.SHUTDOWN);
      }
      closeJoining();
    }
  }

  private static Map<Integer, Long> positions(
      KafkaConsumer<?, ?> c, List<TopicPartition> partitions) {
    Map<Integer, Long> p = new HashMap<>();
    for (TopicPartition tp : partitions) {
      p.put(tp.partition(), c.position(tp));
    }
    return Map.copyOf(p);
  }

  @Override
  public void close() {
    running = false;
    KafkaConsumer<String, byte[]> c = consumer;
    if (c != null) {
      c.wakeup();
    }
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    stopped = true;
    closeJoining();
  }
}
