package io.streamforge.arrowio.read;

/**
 * Allocation-free parsing of numbers and booleans from char ranges. Surrounding spaces and tabs are
 * ignored. Not thread-safe: results are left in fields.
 */
final class NumberParser {
  private static final double[] POW10 = {
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22
  };
  private static final float[] FPOW10 = {
    1e0f, 1e1f, 1e2f, 1e3f, 1e4f, 1e5f, 1e6f, 1e7f, 1e8f, 1e9f, 1e10f
  };

  long longValue;
  double doubleValue;
  float floatValue;
  boolean boolValue;

  // Decomposition of the last decimal parsed by scanDecimal.
  private long mantissa;
  private int exp10;
  private boolean negative;
  private boolean inexact;
  private int special; // 0 = none, 1 = NaN, 2 = infinity

  private static boolean isSpace(char c) {
    return c == ' ' || c == '\t';
  }

  /** Parses a decimal integer in the int64 range. */
  boolean parseLong(char[] a, int start, int end) {
    while (start < end && isSpace(a[start])) {
      start++;
    }
    while (end > start && isSpace(a[end - 1])) {
      end--;
    }
    if (start == end) {
      return false;
    }
    int i = start;
    boolean neg = false;
    char c = a[i];
    if (c == '-' || c == '+') {
      neg = c == '-';
      if (++i == end) {
        return false;
      }
    }
    long limit = neg ? Long.MIN_VALUE : -Long.MAX_VALUE;
    long multmin = limit / 10;
    long result = 0;
    for (; i < end; i++) {
      int d = a[i] - '0';
      if (d < 0 || d > 9 || result < multmin) {
        return false;
      }
      result *= 10;
      if (result < limit + d) {
        return false;
      }
      result -= d;
    }
    longValue = neg ? result : -result;
    return true;
  }

  /**
   * Parses a decimal floating-point number ({@code 1}, {@code -2.5}, {@code .5}, {@code 1e-3}) or
   * one of the special values {@code NaN}, {@code Infinity}, {@code inf} (any case, optional sign).
   * Hexadecimal floats and Java's {@code f}/{@code d} suffixes are rejected.
   */
  boolean parseDouble(char[] a, int start, int end) {
    if (!scanDecimal(a, start, end)) {
      return false;
    }
    if (special != 0) {
      doubleValue =
          special == 1
              ? Double.NaN
              : negative ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
      return true;
    }
    if (mantissa == 0) {
      doubleValue = negative ? -0.0 : 0.0;
      return true;
    }
    if (!inexact && mantissa < (1L << 53) && exp10 >= -22 && exp10 <= 22) {
      // Both operands are exact doubles, so one IEEE operation rounds correctly.
      double v = mantissa;
      v = exp10 >= 0 ? v * POW10[exp10] : v / POW10[-exp10];
      doubleValue = negative ? -v : v;
      return true;
    }
    doubleValue = Double.parseDouble(trimmed(a, start, end));
    return true;
  }

  /** Like {@link #parseDouble} but rounds once, directly to float. */
  boolean parseFloat(char[] a, int start, int end) {
    if (!scanDecimal(a, start, end)) {
      return false;
    }
    if (special != 0) {
      floatValue =
          special == 1 ? Float.NaN : negative ? Float.NEGATIVE_INFINITY : Float.POSITIVE_INFINITY;
      return true;
    }
    if (mantissa == 0) {
      floatValue = negative ? -0.0f : 0.0f;
      return true;
    }
    if (!inexact && mantissa < (1L << 24) && exp10 >= -10 && exp10 <= 10) {
      float v = mantissa;
      v = exp10 >= 0 ? v * FPOW10[exp10] : v / FPOW10[-exp10];
      floatValue = negative ? -v : v;
      return true;
    }
    floatValue = Float.parseFloat(trimmed(a, start, end));
    return true;
  }

  /** Accepts {@code true}/{@code false} (any case) and {@code 1}/{@code 0}. */
  boolean parseBool(char[] a, int start, int end) {
    while (start < end && isSpace(a[start])) {
      start++;
    }
    while (end > start && isSpace(a[end - 1])) {
      end--;
    }
    int len = end - start;
    if (len == 1) {
      if (a[start] == '1') {
        boolValue = true;
        return true;
      }
      if (a[start] == '0') {
        boolValue = false;
        return true;
      }
      return false;
    }
    if (len == 4 && equalsIgnoreCase(a, start, "true")) {
      boolValue = true;
      return true;
    }
    if (len == 5 && equalsIgnoreCase(a, start, "false")) {
      boolValue = false;
      return true;
    }
    return false;
  }

  /**
   * True for {@code true}/{@code false} in any case: the only spellings inference takes as bool.
   */
  static boolean isBoolWord(char[] a, int start, int end) {
    while (start < end && isSpace(a[start])) {
      start++;
    }
    while (end > start && isSpace(a[end - 1])) {
      end--;
    }
    int len = end - start;
    return (len == 4 && equalsIgnoreCase(a, start, "true"))
        || (len == 5 && equalsIgnoreCase(a, start, "false"));
  }

  /** The narrowest column type that holds the value (bool, int64, float64, else string). */
  ColumnType kindOf(char[] a, int start, int end) {
    if (isBoolWord(a, start, end)) {
      return ColumnType.BOOL;
    }
    if (parseLong(a, start, end)) {
      return ColumnType.INT64;
    }
    if (parseDouble(a, start, end)) {
      return ColumnType.FLOAT64;
    }
    return ColumnType.STRING;
  }

  private static String trimmed(char[] a, int start, int end) {
    while (start < end && isSpace(a[start])) {
      start++;
    }
    while (end > start && isSpace(a[end - 1])) {
      end--;
    }
    return new String(a, start, end - start);
  }

  private static boolean equalsIgnoreCase(char[] a, int start, String lower) {
    for (int k = 0; k < lower.length(); k++) {
      if ((a[start + k] | 0x20) != lower.charAt(k)) {
        return false;
      }
    }
    return true;
  }

  private boolean scanDecimal(char[] a, int start, int end) {
    while (start < end && isSpace(a[start])) {
      start++;
    }
    while (end > start && isSpace(a[end - 1])) {
      end--;
    }
    if (start == end) {
      return false;
    }
    int i = start;
    negative = false;
    special = 0;
    char c = a[i];
    if (c == '-' || c == '+') {
      negative = c == '-';
      if (++i == end) {
        return false;
      }
      c = a[i];
    }
    if (c == 'n' || c == 'N' || c == 'i' || c == 'I') {
      int len = end - i;
      if (len == 3 && equalsIgnoreCase(a, i, "nan")) {
        special = 1;
        return true;
      }
      if ((len == 3 && equalsIgnoreCase(a, i, "inf"))
          || (len == 8 && equalsIgnoreCase(a, i, "infinity"))) {
        special = 2;
        return true;
      }
      return false;
    }
    long m = 0;
    int sig = 0;
    int e10 = 0;
    boolean digits = false;
    boolean lost = false;
    for (; i < end; i++) {
      int d = a[i] - '0';
      if (d < 0 || d > 9) {
        break;
      }
      digits = true;
      if (m == 0 && d == 0) {
        continue;
      }
      if (sig < 18) {
        m = m * 10 + d;
        sig++;
      } else {
        e10++;
        lost = true;
      }
    }
    if (i < end && a[i] == '.') {
      for (i++; i < end; i++) {
        int d = a[i] - '0';
        if (d < 0 || d > 9) {
          break;
        }
        digits = true;
        if (m == 0 && d == 0) {
          e10--;
        } else if (sig < 18) {
          m = m * 10 + d;
          sig++;
          e10--;
        } else {
          lost = true;
        }
      }
    }
    if (!digits) {
      return false;
    }
    if (i < end && (a[i] == 'e' || a[i] == 'E')) {
      i++;
      boolean eneg = false;
      if (i < end && (a[i] == '+' || a[i] == '-')) {
        eneg = a[i] == '-';
        i++;
      }
      int e = 0;
      boolean expDigits = false;
      for (; i < end; i++) {
        int d = a[i] - '0';
        if (d < 0 || d > 9) {
          break;
        }
        expDigits = true;
        if (e < 100_000) {
          e = e * 10 + d;
        }
      }
      if (!expDigits) {
        return false;
      }
      e10 += eneg ? -e : e;
    }
    if (i != end) {
      return false;
    }
    mantissa = m;
    exp10 = e10;
    inexact = lost;
    return true;
  }
}
