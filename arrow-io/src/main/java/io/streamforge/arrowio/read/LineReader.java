package io.streamforge.arrowio.read;

import java.io.IOException;
import java.io.Reader;
import java.util.Arrays;

/**
 * Splits a character stream into lines at LF (a CR before it is dropped), skipping a byte-order
 * mark at the start and lines of only whitespace. A line is exposed as a range of an internal
 * buffer, valid until the next call.
 */
final class LineReader {
  private final Reader in;
  private char[] buf = new char[1 << 16];
  private int pos;
  private int limit;
  private boolean eof;
  private boolean started;
  private long nextLine = 1;

  private int start;
  private int end;
  private long line;

  LineReader(Reader in) {
    this.in = in;
  }

  /** Advances to the next non-blank line; false at the end of the input. */
  boolean next() throws IOException {
    if (!started) {
      started = true;
      if (fill() && buf[pos] == '\uFEFF') {
        pos++;
      }
    }
    while (true) {
      int p = pos;
      while (true) {
        while (p < limit && buf[p] != '\n') {
          p++;
        }
        if (p < limit) {
          break;
        }
        int before = pos;
        boolean more = fill();
        p -= before - pos;
        if (!more) {
          break;
        }
      }
      if (pos == limit) {
        return false;
      }
      start = pos;
      end = p;
      pos = p < limit ? p + 1 : p;
      line = nextLine++;
      if (end > start && buf[end - 1] == '\r') {
        end--;
      }
      for (int i = start; i < end; i++) {
        char c = buf[i];
        if (c != ' ' && c != '\t' && c != '\r') {
          return true;
        }
      }
    }
  }

  /** Moves the unread part to the front and reads more; false at the end of the input. */
  private boolean fill() throws IOException {
    if (eof) {
      return false;
    }
    if (pos > 0) {
      System.arraycopy(buf, pos, buf, 0, limit - pos);
      limit -= pos;
      pos = 0;
    }
    if (limit == buf.length) {
      buf = Arrays.copyOf(buf, buf.length * 2);
    }
    int n;
    do {
      n = in.read(buf, limit, buf.length - limit);
    } while (n == 0);
    if (n < 0) {
      eof = true;
      return false;
    }
    limit += n;
    return true;
  }

  char[] array() {
    return buf;
  }

  int start() {
    return start;
  }

  int end() {
    return end;
  }

  /** 1-based line number of the current line. */
  long line() {
    return line;
  }

  String text() {
    return new String(buf, start, end - start);
  }
}
