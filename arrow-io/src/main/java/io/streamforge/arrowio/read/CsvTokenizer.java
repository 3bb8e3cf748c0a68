package io.streamforge.arrowio.read;

import java.io.IOException;
import java.io.Reader;
import java.util.Arrays;

/**
 * Streaming RFC 4180 record splitter over a char buffer.
 *
 * <p>Handles quoted fields with doubled quotes, delimiters and line breaks inside quotes, CRLF, LF
 * and lone CR line breaks, a byte-order mark at the start, a missing final line break, and skips
 * empty lines. It is lenient where RFC 4180 is silent: a quote inside an unquoted field is an
 * ordinary character, and characters after a closing quote are appended to the field.
 *
 * <p>The whole current record stays in the buffer, so the raw text of a bad row can be reported
 * exactly. Unquoted fields are referenced in place; quoted fields are unescaped into a scratch
 * array. {@link #mark()} pins the buffer so that {@link #rewind()} can replay records (used to
 * sample rows for type inference and then parse them again).
 */
final class CsvTokenizer {
  private final Reader in;
  private final char delim;
  private final char quote;

  private char[] buf = new char[1 << 16];
  private int pos;
  private int limit;
  private boolean eof;
  private boolean started;
  private long line = 1;

  private int pin = -1;
  private long pinLine;
  private int shift;

  private int recStart;
  private int recEnd;
  private long recLine;
  private int fieldCount;
  private int[] fStart = new int[16];
  private int[] fEnd = new int[16];
  private boolean[] fScratch = new boolean[16];
  private char[] scratch = new char[256];
  private int scratchLen;
  private boolean unterminated;
  private int unterminatedField;
  private long quoteLine;

  CsvTokenizer(Reader in, char delim, char quote) {
    this.in = in;
    this.delim = delim;
    this.quote = quote;
  }

  /** Pins the input at the current position so that {@link #rewind()} can return to it. */
  void mark() throws IOException {
    start();
    pin = pos;
    pinLine = line;
  }

  /** Goes back to the position of {@link #mark()} and releases the pin. */
  void rewind() {
    if (pin < 0) {
      throw new IllegalStateException("rewind() without mark()");
    }
    pos = pin;
    line = pinLine;
    pin = -1;
  }

  /**
   * Reads the next non-empty record.
   *
   * @return false at the end of the input
   */
  boolean nextRecord() throws IOException {
    start();
    // Skip empty lines.
    while (true) {
      recStart = pos;
      if (pos == limit && !fill()) {
        return false;
      }
      char c = buf[pos];
      if (c == '\n') {
        pos++;
        line++;
      } else if (c == '\r') {
        pos++;
        line++;
        recStart = pos;
        if ((pos < limit || fill()) && buf[pos] == '\n') {
          pos++;
        }
      } else {
        break;
      }
    }
    recStart = pos;
    recLine = line;
    fieldCount = 0;
    scratchLen = 0;
    unterminated = false;
    int p = pos;
    int fieldStart = p;
    while (true) {
      // At the start of a field.
      if (p == limit) {
        boolean more = fill();
        p -= shift;
        fieldStart -= shift;
        if (!more) {
          addField(fieldStart, p);
          return endAtEof(p);
        }
      }
      char c = buf[p];
      if (c == quote) {
        int sStart = scratchLen;
        quoteLine = line;
        p++;
        boolean closed = false;
        while (!closed) {
          if (p == limit) {
            boolean more = fill();
            p -= shift;
            if (!more) {
              addScratchField(sStart);
              unterminated = true;
              unterminatedField = fieldCount - 1;
              return endAtEof(p);
            }
          }
          c = buf[p];
          if (c == quote) {
            if (p + 1 == limit) {
              boolean more = fill();
              p -= shift;
              if (!more) {
                addScratchField(sStart);
                return endAtEof(p + 1);
              }
            }
            if (buf[p + 1] == quote) {
              appendScratch(quote);
              p += 2;
            } else {
              p++;
              closed = true;
            }
            continue;
          }
          if (c == '\n') {
            if (buf[p - 1] != '\r') {
              line++;
            }
          } else if (c == '\r') {
            line++;
          }
          appendScratch(c);
          p++;
        }
        // After the closing quote: up to the delimiter or line break.
        while (true) {
          if (p == limit) {
            boolean more = fill();
            p -= shift;
            if (!more) {
              addScratchField(sStart);
              return endAtEof(p);
            }
          }
          c = buf[p];
          if (c == delim) {
            addScratchField(sStart);
            p++;
            fieldStart = p;
            break;
          }
          if (c == '\n' || c == '\r') {
            addScratchField(sStart);
            return endAtLineBreak(p);
          }
          appendScratch(c);
          p++;
        }
        continue;
      }
      // Unquoted field.
      while (true) {
        if (c == delim) {
          addField(fieldStart, p);
          p++;
          fieldStart = p;
          break;
        }
        if (c == '\n' || c == '\r') {
          addField(fieldStart, p);
          return endAtLineBreak(p);
        }
        if (++p == limit) {
          boolean more = fill();
          p -= shift;
          fieldStart -= shift;
          if (!more) {
            addField(fieldStart, p);
            return endAtEof(p);
          }
        }
        c = buf[p];
      }
    }
  }

  private void start() throws IOException {
    if (!started) {
      started = true;
      recStart = pos;
      if (fill() && buf[pos] == '\uFEFF') {
        pos++;
      }
    }
  }

  private boolean endAtEof(int p) {
    recEnd = p;
    pos = p;
    return true;
  }

  private boolean endAtLineBreak(int p) throws IOException {
    recEnd = p;
    char c = buf[p++];
    line++;
    if (c == '\r') {
      if (p == limit) {
        pos = p;
        boolean more = fill();
        p -= shift;
        if (!more) {
          pos = p;
          return true;
        }
      }
      if (buf[p] == '\n') {
        p++;
      }
    }
    pos = p;
    return true;
  }

  /**
   * Makes room and reads more input after {@code limit}, moving the kept region (from the pin or
   * the current record start) to the front of the buffer; {@link #shift} tells callers how far
   * absolute positions moved.
   */
  private boolean fill() throws IOException {
    shift = 0;
    if (eof) {
      return false;
    }
    int keep = pin >= 0 ? Math.min(pin, recStart) : recStart;
    if (keep > 0) {
      System.arraycopy(buf, keep, buf, 0, limit - keep);
      shift = keep;
      limit -= keep;
      pos -= keep;
      recStart -= keep;
      recEnd -= keep;
      if (pin >= 0) {
        pin -= keep;
      }
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

  private void addField(int absStart, int absEnd) {
    if (fieldCount == fStart.length) {
      growFields();
    }
    fStart[fieldCount] = absStart - recStart;
    fEnd[fieldCount] = absEnd - recStart;
    fScratch[fieldCount] = false;
    fieldCount++;
  }

  private void addScratchField(int sStart) {
    if (fieldCount == fStart.length) {
      growFields();
    }
    fStart[fieldCount] = sStart;
    fEnd[fieldCount] = scratchLen;
    fScratch[fieldCount] = true;
    fieldCount++;
  }

  private void growFields() {
    int n = fStart.length * 2;
    fStart = Arrays.copyOf(fStart, n);
    fEnd = Arrays.copyOf(fEnd, n);
    fScratch = Arrays.copyOf(fScratch, n);
  }

  private void appendScratch(char c) {
    if (scratchLen == scratch.length) {
      scratch = Arrays.copyOf(scratch, scratch.length * 2);
    }
    scratch[scratchLen++] = c;
  }

  int fieldCount() {
    return fieldCount;
  }

  /** The array holding field {@code i}; valid until the next call to {@link #nextRecord()}. */
  char[] array(int i) {
    return fScratch[i] ? scratch : buf;
  }

  int start(int i) {
    return fScratch[i] ? fStart[i] : recStart + fStart[i];
  }

  int end(int i) {
    return fScratch[i] ? fEnd[i] : recStart + fEnd[i];
  }

  String field(int i) {
    return new String(array(i), start(i), end(i) - start(i));
  }

  /** 1-based physical line on which the current record starts. */
  long recordLine() {
    return recLine;
  }

  /** The current record's text exactly as read, without its line break. */
  String raw() {
    return new String(buf, recStart, recEnd - recStart);
  }

  /** True when the current record ends inside a quoted field at the end of the input. */
  boolean unterminated() {
    return unterminated;
  }

  /** Index of the field whose quote was never closed. */
  int unterminatedField() {
    return unterminatedField;
  }

  /** Line on which the unterminated quote was opened. */
  long quoteLine() {
    return quoteLine;
  }
}
