package io.streamforge.serving.dashboard;

import java.util.EnumMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Where a client stands in each stream it reads: per stream and partition, the next offset it has
 * not been sent. It is the {@code id} of every event, so that {@code Last-Event-ID} resumes exactly
 * after the last event a client received.
 *
 * <p>Text form: {@code <stream>:<partition>-<offset>.<partition>-<offset>...}, streams joined by
 * {@code ~}, e.g. {@code phases:0-12.1-3.2-40~models:0-7} (only URL-safe characters). A partition
 * that is missing starts from the beginning of the topic. Not thread-safe: {@link SseClient} guards
 * its cursor.
 */
final class Cursor {
  private final EnumMap<Stream, TreeMap<Integer, Long>> next = new EnumMap<>(Stream.class);

  /** The positions of a stream (partition → next offset), or null when the cursor has none. */
  Map<Integer, Long> positions(Stream stream) {
    TreeMap<Integer, Long> p = next.get(stream);
    return p == null ? null : Map.copyOf(p);
  }

  /** The next offset of a partition, or -1 when unknown. */
  long next(Stream stream, int partition) {
    TreeMap<Integer, Long> p = next.get(stream);
    Long o = p == null ? null : p.get(partition);
    return o == null ? -1 : o;
  }

  /** Moves a partition forward to {@code offset} (never back). */
  void advance(Stream stream, int partition, long offset) {
    next.computeIfAbsent(stream, s -> new TreeMap<>()).merge(partition, offset, Math::max);
  }

  /** Moves every given partition forward. */
  void advance(Stream stream, Map<Integer, Long> positions) {
    positions.forEach((p, o) -> advance(stream, p, o));
  }

  /** Keeps only the given streams. */
  void retain(java.util.Set<Stream> streams) {
    next.keySet().retainAll(streams);
  }

  Cursor copy() {
    Cursor c = new Cursor();
    next.forEach((s, p) -> c.next.put(s, new TreeMap<>(p)));
    return c;
  }

  String encode() {
    StringBuilder b = new StringBuilder();
    for (var s : next.entrySet()) {
      if (b.length() > 0) {
        b.append('~');
      }
      b.append(s.getKey().id()).append(':');
      boolean first = true;
      for (var p : s.getValue().entrySet()) {
        if (!first) {
          b.append('.');
        }
        first = false;
        b.append(p.getKey()).append('-').append(p.getValue());
      }
    }
    return b.toString();
  }

  /**
   * Parses an event id.
   *
   * @throws IllegalArgumentException naming what is wrong with it
   */
  static Cursor parse(String id) {
    Cursor c = new Cursor();
    if (id.isEmpty()) {
      return c;
    }
    if (id.length() > 4096) {
      throw new IllegalArgumentException("event id is longer than 4096 characters");
    }
    for (String segment : id.split("~", -1)) {
      int colon = segment.indexOf(':');
      if (colon < 0) {
        throw new IllegalArgumentException(
            "event id segment '" + segment + "' is not <stream>:<partition>-<offset>...");
      }
      String name = segment.substring(0, colon);
      Stream stream = Stream.byId(name);
      if (stream == null) {
        throw new IllegalArgumentException("event id names unknown stream '" + name + "'");
      }
      if (c.next.containsKey(stream)) {
        throw new IllegalArgumentException("event id names stream '" + name + "' twice");
      }
      TreeMap<Integer, Long> positions = new TreeMap<>();
      String pairs = segment.substring(colon + 1);
      if (!pairs.isEmpty()) {
        for (String pair : pairs.split("\\.", -1)) {
          int dash = pair.indexOf('-');
          try {
            int partition = Integer.parseInt(pair.substring(0, Math.max(dash, 0)));
            long offset = Long.parseLong(pair.substring(dash + 1));
            if (dash <= 0 || partition < 0 || offset < 0) {
              throw new NumberFormatException();
            }
            if (positions.put(partition, offset) != null) {
              throw new IllegalArgumentException(
                  "event id names partition " + partition + " of '" + name + "' twice");
            }
          } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                "event id part '"
                    + pair
                    + "' of stream '"
                    + name
                    + "' is not <partition>-<offset> (non-negative numbers)");
          }
        }
      }
      c.next.put(stream, positions);
    }
    return c;
  }

  @Override
  public String toString() {
    return encode();
  }
}
