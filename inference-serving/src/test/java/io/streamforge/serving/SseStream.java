package io.streamforge.serving;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A Server-Sent Events client over a plain socket (HTTP/1.1, chunked), so that tests control
 * exactly what it sends ({@code Last-Event-ID}), when it disconnects, and whether it reads at all:
 * a stream opened with {@link #openUnread} never reads its socket, which is how a slow client looks
 * to the edge.
 */
final class SseStream implements AutoCloseable {
  record Event(String id, String name, String data) {}

  private final Socket socket;
  private final InputStream in;
  private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
  final List<String> comments = new CopyOnWriteArrayList<>();
  private final CountDownLatch ended = new CountDownLatch(1);
  private volatile int eventCount;
  private int status;
  private final Map<String, String> headers = new LinkedHashMap<>();
  private String errorBody;
  private Thread reader;

  private SseStream(int port, String path, String lastEventId, int receiveBuffer)
      throws IOException {
    socket = new Socket();
    if (receiveBuffer > 0) {
      socket.setReceiveBufferSize(receiveBuffer);
    }
    socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
    socket.setSoTimeout(60_000);
    StringBuilder request =
        new StringBuilder("GET ")
            .append(path)
            .append(" HTTP/1.1\r\nHost: 127.0.0.1:")
            .append(port)
            .append("\r\nAccept: text/event-stream\r\n");
    if (lastEventId != null) {
      request.append("Last-Event-ID: ").append(lastEventId).append("\r\n");
    }
    request.append("\r\n");
    OutputStream out = socket.getOutputStream();
    out.write(request.toString().getBytes(StandardCharsets.US_ASCII));
    out.flush();
    in = new BufferedInputStream(socket.getInputStream(), 1 << 16);
  }

  /** Opens a stream and reads it on a thread of its own. */
  static SseStream open(int port, String path) throws IOException {
    return open(port, path, null);
  }

  static SseStream open(int port, String path, String lastEventId) throws IOException {
    SseStream s = new SseStream(port, path, lastEventId, 0);
    s.readHead();
    if (s.status == 200) {
      s.startReading();
    }
    return s;
  }

  /** Opens a stream whose socket is never read (a tiny receive buffer): a slow client. */
  static SseStream openUnread(int port, String path) throws IOException {
    return new SseStream(port, path, null, 1024);
  }

  int status() {
    return status;
  }

  String header(String name) {
    return headers.get(name.toLowerCase(Locale.ROOT));
  }

  /** The body of a non-200 answer. */
  String errorBody() {
    return errorBody;
  }

  /** The next event, failing after {@code timeout}. */
  Event next(Duration timeout) throws InterruptedException {
    Event e = events.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    if (e == null) {
      throw new AssertionError(
          "no event within " + timeout + (ended.getCount() == 0 ? " (the stream ended)" : ""));
    }
    return e;
  }

  /** The next {@code n} events, failing when they do not all come within {@code timeout}. */
  List<Event> take(int n, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    List<Event> out = new ArrayList<>(n);
    while (out.size() < n) {
      long left = deadline - System.nanoTime();
      Event e = left <= 0 ? null : events.poll(left, TimeUnit.NANOSECONDS);
      if (e == null) {
        throw new AssertionError(
            "got "
                + out.size()
                + " of "
                + n
                + " events within "
                + timeout
                + (ended.getCount() == 0 ? " (the stream ended)" : ""));
      }
      out.add(e);
    }
    return out;
  }

  /** Events received so far that nobody took yet. */
  List<Event> pending() {
    List<Event> out = new ArrayList<>();
    events.drainTo(out);
    return out;
  }

  /** Events parsed so far (taken or not). */
  int eventCount() {
    return eventCount;
  }

  /** Whether the server ended or closed the stream within {@code timeout}. */
  boolean awaitEnd(Duration timeout) throws InterruptedException {
    return ended.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * For a stream opened unread: reads its head and then everything until the server closes it.
   *
   * @return false when it was still open after {@code timeout}
   */
  boolean drainUntilClosed(Duration timeout) throws IOException, InterruptedException {
    readHead();
    if (status != 200) {
      throw new AssertionError("status " + status + ": " + errorBody);
    }
    startReading();
    return awaitEnd(timeout);
  }

  private void readHead() throws IOException {
    String statusLine = line();
    String[] parts = statusLine.split(" ", 3);
    status = Integer.parseInt(parts[1]);
    String h;
    while (!(h = line()).isEmpty()) {
      int colon = h.indexOf(':');
      headers.put(
          h.substring(0, colon).trim().toLowerCase(Locale.ROOT), h.substring(colon + 1).trim());
    }
    if (status != 200) {
      int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
      errorBody = new String(in.readNBytes(length), StandardCharsets.UTF_8);
      socket.close();
    }
  }

  private void startReading() {
    reader = new Thread(this::read, "sse-test-reader");
    reader.setDaemon(true);
    reader.start();
  }

  private void read() {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    String id = null;
    String name = null;
    StringBuilder data = null;
    try {
      boolean chunked = "chunked".equalsIgnoreCase(headers.get("transfer-encoding"));
      while (true) {
        byte[] chunk;
        if (chunked) {
          String size = line();
          int n = Integer.parseInt(size.split(";")[0].trim(), 16);
          if (n == 0) {
            return;
          }
          chunk = in.readNBytes(n);
          if (chunk.length < n) {
            return;
          }
          line(); // CRLF after the chunk
        } else {
          chunk = in.readNBytes(Math.max(1, in.available()));
          if (chunk.length == 0) {
            return;
          }
        }
        body.write(chunk);
        // parse every complete line
        byte[] all = body.toByteArray();
        int start = 0;
        for (int i = 0; i < all.length; i++) {
          if (all[i] != '\n') {
            continue;
          }
          String l = new String(all, start, i - start, StandardCharsets.UTF_8);
          start = i + 1;
          if (l.isEmpty()) {
            if (data != null) {
              events.add(new Event(id, name == null ? "message" : name, data.toString()));
              eventCount++;
            }
            name = null;
            data = null;
            // the id persists across events, as in EventSource
          } else if (l.startsWith(":")) {
            comments.add(l.substring(1).trim());
          } else {
            int colon = l.indexOf(':');
            String field = colon < 0 ? l : l.substring(0, colon);
            String value = colon < 0 ? "" : l.substring(colon + 1);
            if (value.startsWith(" ")) {
              value = value.substring(1);
            }
            switch (field) {
              case "id" -> id = value;
              case "event" -> name = value;
              case "data" ->
                  data = data == null ? new StringBuilder(value) : data.append('\n').append(value);
              default -> {}
            }
          }
        }
        body.reset();
        body.write(all, start, all.length - start);
      }
    } catch (IOException e) {
      // closed by the server (or by close())
    } finally {
      ended.countDown();
    }
  }

  private String line() throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int c;
    while ((c = in.read()) != -1) {
      if (c == '\n') {
        break;
      }
      if (c != '\r') {
        b.write(c);
      }
    }
    if (c == -1 && b.size() == 0) {
      throw new IOException("end of stream");
    }
    return b.toString(StandardCharsets.US_ASCII);
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
