package io.streamforge.arrowio.read;

import java.util.Collection;

/** Fast matching of a char range against the configured null tokens. */
final class NullTokens {
  private final char[][] tokens;
  private final int maxLength;

  NullTokens(Collection<String> tokens) {
    this.tokens = new char[tokens.size()][];
    int i = 0;
    int max = -1;
    for (String t : tokens) {
      this.tokens[i++] = t.toCharArray();
      max = Math.max(max, t.length());
    }
    this.maxLength = max;
  }

  boolean matches(char[] a, int start, int end) {
    int len = end - start;
    if (len > maxLength) {
      return false;
    }
    outer:
    for (char[] t : tokens) {
      if (t.length != len) {
        continue;
      }
      for (int k = 0; k < len; k++) {
        if (t[k] != a[start + k]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }
}
