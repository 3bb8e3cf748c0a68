package io.streamforge.serving.dashboard;

import io.streamforge.arrowio.dataset.KafkaClients;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the history one client asked for (from the beginning of its topics, or after its {@code
 * Last-Event-ID}) with a consumer of its own, until it meets each topic's shared tail and joins it.
 *
 * <p>History is per client by nature (each starts elsewhere), and reading it must not hold up the
 * tail that every live client shares; so it runs on the catch-up pool, waits for its client's
 * buffer instead of dropping it (up to the stall timeout) and ends as soon as every stream joined.
 */
final class CatchUp implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(CatchUp.class);
  private static final Duration POLL = Duration.ofMillis(100);

  private final SseClient client;
  private final Map<Stream, TopicFeed> feeds;
  private final KafkaClients clients;
  private final String clientId;
  private final Duration stall;
  private final java.util.function.BooleanSupplier closing;

  /**
   * @param feeds the streams to catch up, each with the tail it joins
   * @param closing true once the edge closes
   */
  CatchUp(
      SseClient client,
      Map<Stream, TopicFeed> feeds,
      KafkaClients clients,
      String clientId,
      Duration stall,
      java.util.function.BooleanSupplier closing) {
    this.client = client;
    this.feeds = new EnumMap<>(feeds);
    this.clients = clients;
    this.clientId = clientId;
    this.stall = stall;
    this.closing = closing;
  }

  @Override
  public void run() {
    if (client.isClosed()) {
      return;
    }
    Map<String, Object> props = clients.consumer(clientId);
    props.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 50);
    try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(props)) {
      Map<Stream, List<TopicPartition>> partitions = new EnumMap<>(Stream.class);
      List<TopicPartition> all = new ArrayList<>();
      for (var f : feeds.entrySet()) {
        List<TopicPartition> tps = new ArrayList<>();
        for (int p : partitionsOf(f.getValue())) {
          tps.add(new TopicPartition(f.getKey().topic().name(), p));
        }
        if (client.isClosed()) {
          return;
        }
        partitions.put(f.getKey(), tps);
        all.addAll(tps);
      }
      c.assign(all);
      for (var e : partitions.entrySet()) {
        Map<Integer, Long> from = client.positions(e.getKey());
        for (TopicPartition tp : e.getValue()) {
          Long offset = from == null ? null : from.get(tp.partition());
          if (offset == null) {
            c.seekToBeginning(List.of(tp));
          } else {
            c.seek(tp, offset); // beyond the log's ends: reset to the beginning (earliest)
          }
        }
      }
      Map<Stream, TopicFeed> pending = new EnumMap<>(feeds);
      long fullSince = 0; // when the client's buffer was last seen more than half full
      while (!client.isClosed() && !closing.getAsBoolean()) {
        if (client.hasRoom()) {
          fullSince = 0;
          for (var it = pending.entrySet().iterator(); it.hasNext(); ) {
            var e = it.next();
            if (e.getValue().tryJoin(client, positions(c, partitions.get(e.getKey())))) {
              c.pause(partitions.get(e.getKey()));
              it.remove();
            }
          }
        } else if (fullSince == 0) {
          fullSince = System.nanoTime();
        } else if (System.nanoTime() - fullSince > stall.toNanos()) {
          client.close(SseClient.CloseReason.STALLED); // caught up, but not reading
          return;
        }
        if (pending.isEmpty()) {
          return;
        }
        for (ConsumerRecord<String, byte[]> r : c.poll(POLL)) {
          Stream s = Stream.byTopic(r.topic());
          if (s == null || !pending.containsKey(s)) {
            continue;
          }
          if (!client.put(decode(s, r), stall)) {
            if (!client.isClosed()) {
              client.close(SseClient.CloseReason.STALLED);
            }
            return;
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      client.close(SseClient.CloseReason.SHUTDOWN);
    } catch (RuntimeException e) {
      if (!closing.getAsBoolean()) {
        log.error("stream {}: reading history failed", client, e);
      }
      client.close(SseClient.CloseReason.SHUTDOWN);
    }
  }

  /**
   * The partitions of a stream as its tail knows them, waiting for the tail to be positioned (it
   * creates a missing topic first); empty when the client or the tail went away meanwhile.
   */
  private List<Integer> partitionsOf(TopicFeed feed) throws InterruptedException {
    List<Integer> p;
    while ((p = feed.partitions()) == null) {
      if (client.isClosed() || closing.getAsBoolean() || feed.isStopped()) {
        client.close(SseClient.CloseReason.SHUTDOWN);
        return List.of();
      }
      Thread.sleep(20);
    }
    return p;
  }

  private static Map<Integer, Long> positions(KafkaConsumer<?, ?> c, List<TopicPartition> tps) {
    Map<Integer, Long> p = new HashMap<>();
    for (TopicPartition tp : tps) {
      p.put(tp.partition(), c.position(tp));
    }
    return p;
  }

  /** Decodes a record; one that cannot be decoded is logged and carries no value. */
  static Delivery decode(Stream stream, ConsumerRecord<String, byte[]> r) {
    Object value = null;
    try {
      value = stream.decode(r.value());
    } catch (RuntimeException e) {
      log.warn(
          "stream {}: skipping an unreadable record at {}-{}@{}: {}",
          stream.id(),
          r.topic(),
          r.partition(),
          r.offset(),
          e.getMessage());
    }
    return new Delivery(stream, r.partition(), r.offset(), r.key(), value);
  }
}
