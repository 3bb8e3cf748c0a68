package io.streamforge.serving.http;

import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * A pull tokenizer for plain JSON bodies, which is what nearly every inference request is: objects,
 * arrays, strings without escapes, numbers, {@code true}, {@code false}, {@code null}. It reads
 * numbers straight from the bytes (a decimal of up to 18 digits and a small exponent is one exact
 * multiplication or division, Clinger's fast path; anything else goes to {@link
 * Double#parseDouble}), where Jackson first copies each number's characters and then parses them.
 * For a request of 784 floats that is most of the decoding time.
 *
 * <p>It gives up with {@link Unsupported} on everything else: escapes in strings, text that is not
 * valid UTF-8, comments, integers of more than 18 digits, anything over Jackson's limits, and every
 * syntax error. The caller then reads the body again with Jackson, which is complete and reports
 * errors. So this reader never decides an error; for the bodies it accepts it gives exactly the
 * tokens and values that Jackson gives (a test compares the two on generated bodies).
 */
final class PlainJsonTokens implements JsonTokens {
  /** Where this reader stops; no stack trace, it is thrown on purpose. */
  static final class Unsupported extends RuntimeException {
    private static final long serialVersionUID = 1L;
    static final Unsupported INSTANCE = new Unsupported();

    private Unsupported() {
      super("not a plain JSON body", null, false, false);
    }
  }

  private static final StreamReadConstraints LIMITS = StreamReadConstraints.defaults();
  private static final int MAX_DEPTH = Math.min(256, LIMITS.getMaxNestingDepth());
  private static final java.util.regex.Pattern NUMBER =
      java.util.regex.Pattern.compile("-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?");
  private static final double[] POW10 = {
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22
  };

  private final byte[] b;
  private final int end;
  private int i;
  private final boolean[] objectAt = new boolean[MAX_DEPTH + 1];
  private int depth;
  private boolean first;
  private boolean afterName;
  private boolean rootDone;
  private JsonToken current;
  private String text;
  private long longValue;
  private double doubleValue;

  PlainJsonTokens(byte[] bytes) {
    this.b = bytes;
    this.end = bytes.length;
  }

  private static Unsupported unsupported() {
    return Unsupported.INSTANCE;
  }

  @Override
  public JsonToken nextToken() {
    skipWhitespace();
    if (depth == 0) {
      if (i == end) {
        return current = null;
      }
      if (rootDone) {
        throw unsupported(); // content after the root value
      }
      return value();
    }
    if (objectAt[depth]) {
      if (afterName) {
        expect(':');
        skipWhitespace();
        afterName = false;
        return value();
      }
      if (i < end && b[i] == '}') {
        i++;
        pop();
        return current = JsonToken.END_OBJECT;
      }
      if (!first) {
        expect(',');
        skipWhitespace();
      }
      expect('"');
      text = string(LIMITS.getMaxNameLength());
      first = false;
      afterName = true;
      return current = JsonToken.FIELD_NAME;
    }
    if (i < end && b[i] == ']') {
      i++;
      pop();
      return current = JsonToken.END_ARRAY;
    }
    if (!first) {
      expect(',');
      skipWhitespace();
    }
    first = false;
    return value();
  }

  private JsonToken value() {
    if (i >= end) {
      throw unsupported();
    }
    JsonToken t =
        switch (b[i]) {
          case '{' -> push(true, JsonToken.START_OBJECT);
          case '[' -> push(false, JsonToken.START_ARRAY);
          case '"' -> {
            i++;
            text = string(LIMITS.getMaxStringLength());
            yield JsonToken.VALUE_STRING;
          }
          case 't' -> literal("true", JsonToken.VALUE_TRUE);
          case 'f' -> literal("false", JsonToken.VALUE_FALSE);
          case 'n' -> literal("null", JsonToken.VALUE_NULL);
          default -> number();
        };
    if (depth == 0) {
      rootDone = true;
    }
    return current = t;
  }

  private JsonToken push(boolean object, JsonToken token) {
    if (depth == MAX_DEPTH) {
      throw unsupported();
    }
    i++;
    depth++;
    objectAt[depth] = object;
    first = true;
    afterName = false;
    return token;
  }

  private void pop() {
    depth--;
    first = false;
    afterName = false;
    if (depth == 0) {
      rootDone = true;
    }
  }

  private void skipWhitespace() {
    while (i < end) {
      byte c = b[i];
      if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
        return;
      }
      i++;
    }
  }

  private void expect(char c) {
    if (i >= end || b[i] != c) {
      throw unsupported();
    }
    i++;
  }

  private JsonToken literal(String word, JsonToken token) {
    int n = word.length();
    if (end - i < n) {
      throw unsupported();
    }
    for (int k = 0; k < n; k++) {
      if (b[i + k] != word.charAt(k)) {
        throw unsupported();
      }
    }
    i += n;
    return token;
  }

  /** A string whose opening quote is read; stops at escapes and control characters. */
  private String string(int maxLength) {
    int start = i;
    boolean ascii = true;
    while (true) {
      if (i >= end) {
        throw unsupported();
      }
      int c = b[i] & 0xff;
      if (c == '"') {
        break;
      }
      if (c == '\\' || c < 0x20) {
        throw unsupported();
      }
      if (c >= 0x80) {
        ascii = false;
      }
      i++;
    }
    int length = i - start;
    i++;
    if (length > maxLength) {
      throw unsupported();
    }
    if (ascii) {
      return new String(b, start, length, StandardCharsets.ISO_8859_1);
    }
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(b, start, length))
          .toString();
    } catch (CharacterCodingException e) {
      throw unsupported();
    }
  }

  private static boolean digit(byte c) {
    return c >= '0' && c <= '9';
  }

  /** A number as JSON writes it; an integer of more than 18 digits is left to Jackson. */
  private JsonToken number() {
    int start = i;
    boolean negative = b[i] == '-';
    if (negative) {
      i++;
    }
    if (i >= end || !digit(b[i])) {
      throw unsupported();
    }
    long mantissa = 0;
    int digits = 0;
    if (b[i] == '0') {
      i++;
      if (i < end && digit(b[i])) {
        throw unsupported(); // a leading zero
      }
    } else {
      while (i < end && digit(b[i])) {
        mantissa = mantissa * 10 + (b[i] - '0');
        digits++;
        i++;
        if (digits > 18) {
          break;
        }
      }
    }
    boolean isFloat = false;
    int fraction = 0;
    if (digits <= 18 && i < end && b[i] == '.') {
      isFloat = true;
      i++;
      if (i >= end || !digit(b[i])) {
        throw unsupported();
      }
      while (i < end && digit(b[i]) && digits <= 18) {
        mantissa = mantissa * 10 + (b[i] - '0');
        if (mantissa != 0) {
          digits++;
        }
        fraction++;
        i++;
      }
    }
    long exponent = 0;
    if (digits <= 18 && i < end && (b[i] == 'e' || b[i] == 'E')) {
      isFloat = true;
      i++;
      boolean negativeExponent = false;
      if (i < end && (b[i] == '+' || b[i] == '-')) {
        negativeExponent = b[i] == '-';
        i++;
      }
      if (i >= end || !digit(b[i])) {
        throw unsupported();
      }
      while (i < end && digit(b[i])) {
        exponent = Math.min(exponent * 10 + (b[i] - '0'), 1_000_000);
        i++;
      }
      if (negativeExponent) {
        exponent = -exponent;
      }
    }
    if (digits > 18) {
      if (!isFloat && (i >= end || (b[i] != '.' && b[i] != 'e' && b[i] != 'E'))) {
        throw unsupported(); // a long integer: Jackson tells long from BigInteger
      }
      return slowDouble(start); // more digits than a long holds: the exact parse
    }
    if (i < end && (digit(b[i]) || b[i] == '.' || b[i] == 'e' || b[i] == 'E')) {
      throw unsupported();
    }
    if (i - start > LIMITS.getMaxNumberLength()) {
      throw unsupported();
    }
    if (!isFloat) {
      longValue = negative ? -mantissa : mantissa;
      return JsonToken.VALUE_NUMBER_INT;
    }
    long e10 = exponent - fraction;
    double d;
    if (mantissa == 0) {
      d = 0;
    } else if (mantissa < (1L << 53) && e10 >= -22 && e10 <= 22) {
      // both operands exact, so the one rounding of the division or product is the correct one
      d = e10 < 0 ? mantissa / POW10[(int) -e10] : mantissa * POW10[(int) e10];
    } else {
      return slowDouble(start);
    }
    doubleValue = negative ? -d : d;
    return JsonToken.VALUE_NUMBER_FLOAT;
  }

  /** Scans the rest of a float with many digits and parses its text exactly. */
  private JsonToken slowDouble(int start) {
    while (i < end
        && (digit(b[i])
            || b[i] == '.'
            || b[i] == 'e'
            || b[i] == 'E'
            || b[i] == '+'
            || b[i] == '-')) {
      i++;
    }
    if (i - start > LIMITS.getMaxNumberLength()) {
      throw unsupported();
    }
    String s = new String(b, start, i - start, StandardCharsets.ISO_8859_1);
    if (!NUMBER.matcher(s).matches()) {
      throw unsupported();
    }
    doubleValue = Double.parseDouble(s);
    return JsonToken.VALUE_NUMBER_FLOAT;
  }

  @Override
  public void readNumbers(NumberSink sink) {
    if (depth == 0 || objectAt[depth]) {
      return;
    }
    while (true) {
      skipWhitespace();
      int at = i;
      if (!first) {
        if (i >= end || b[i] != ',') {
          return; // the array's end, or an error that nextToken reports
        }
        i++;
        skipWhitespace();
      }
      if (i >= end || (b[i] != '-' && !digit(b[i]))) {
        i = at; // not a number: nextToken reads it, comma included
        return;
      }
      JsonToken t = number();
      first = false;
      current = t;
      if (t == JsonToken.VALUE_NUMBER_INT) {
        sink.addLong(longValue);
      } else {
        sink.addDouble(doubleValue);
      }
    }
  }

  @Override
  public JsonToken currentToken() {
    return current;
  }

  @Override
  public String currentName() {
    return text;
  }

  @Override
  public String getText() {
    return text;
  }

  @Override
  public boolean isBigInteger() {
    return false;
  }

  @Override
  public long getLongValue() {
    return longValue;
  }

  @Override
  public double getDoubleValue() {
    return current == JsonToken.VALUE_NUMBER_INT ? longValue : doubleValue;
  }

  @Override
  public BigInteger getBigIntegerValue() {
    return BigInteger.valueOf(longValue);
  }

  @Override
  public Number getNumberValue() {
    if (current == JsonToken.VALUE_NUMBER_FLOAT) {
      return doubleValue;
    }
    return longValue == (int) longValue ? (Number) (int) longValue : (Number) longValue;
  }

  @Override
  public void skipChildren() {
    if (current != JsonToken.START_OBJECT && current != JsonToken.START_ARRAY) {
      return;
    }
    int level = depth;
    while (depth >= level) {
      nextToken();
    }
  }
}
