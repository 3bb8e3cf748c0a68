package io.streamforge.serving.dashboard;

/**
 * One decoded Kafka record on its way to clients. Decoded once per reader (the shared tail or a
 * client's catch-up) and shared by every client it is fanned out to; the JSON of the whole record
 * is built at most once.
 *
 * @param value the decoded value, or null for a tombstone or an undecodable record (both advance
 *     clients' cursors without an event)
 */
record Delivery(Stream stream, int partition, long offset, String key, Object value, Memo memo) {
  Delivery(Stream stream, int partition, long offset, String key, Object value) {
    this(stream, partition, offset, key, value, new Memo());
  }

  /** The whole record's event data, computed once. */
  static final class Memo {
    private volatile String data;

    String get(java.util.function.Supplier<String> compute) {
      String d = data;
      if (d == null) {
        d = compute.get();
        data = d;
      }
      return d;
    }
  }
}
