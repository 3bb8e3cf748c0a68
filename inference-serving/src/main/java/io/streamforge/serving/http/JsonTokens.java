package io.streamforge.serving.http;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.math.BigInteger;

/**
 * The few pull-parser operations that {@link InferenceCodec} reads a request with, in the terms of
 * Jackson's {@link JsonParser}: so that one reader works on Jackson's parser (every JSON body) and
 * on {@link PlainJsonTokens} (the plain bodies that make up nearly all traffic, read faster).
 */
interface JsonTokens {
  /** The next token, or null at the end of the input. */
  JsonToken nextToken() throws IOException;

  JsonToken currentToken();

  /** The name of the current {@code FIELD_NAME} token. */
  String currentName() throws IOException;

  /** The text of the current string or field name. */
  String getText() throws IOException;

  /** Whether the current integer does not fit a long. */
  boolean isBigInteger() throws IOException;

  long getLongValue() throws IOException;

  double getDoubleValue() throws IOException;

  BigInteger getBigIntegerValue() throws IOException;

  /** The current number as Jackson boxes it: Integer, Long, BigInteger or Double. */
  Number getNumberValue() throws IOException;

  /** At a start token, skips to its matching end token; elsewhere does nothing. */
  void skipChildren() throws IOException;

  /** Where {@link #readNumbers} puts numbers: integers as longs, the others as doubles. */
  interface NumberSink {
    void addLong(long value);

    void addDouble(double value);
  }

  /**
   * Inside an array, reads the run of numbers that comes next (none or more) into {@code sink} in
   * one loop, leaving the element after them (or the array's end) to {@link #nextToken}: what a
   * tensor's data mostly is. A tokenizer without this fast path reads nothing.
   */
  default void readNumbers(NumberSink sink) {}

  /** Jackson's parser as {@link JsonTokens}. */
  static JsonTokens of(JsonParser p) {
    return new JsonTokens() {
      @Override
      public JsonToken nextToken() throws IOException {
        return p.nextToken();
      }

      @Override
      public JsonToken currentToken() {
        return p.currentToken();
      }

      @Override
      public String currentName() throws IOException {
        return p.currentName();
      }

      @Override
      public String getText() throws IOException {
        return p.getText();
      }

      @Override
      public boolean isBigInteger() throws IOException {
        return p.getNumberType() == JsonParser.NumberType.BIG_INTEGER;
      }

      @Override
      public long getLongValue() throws IOException {
        return p.getLongValue();
      }

      @Override
      public double getDoubleValue() throws IOException {
        return p.getDoubleValue();
      }

      @Override
      public BigInteger getBigIntegerValue() throws IOException {
        return p.getBigIntegerValue();
      }

      @Override
      public Number getNumberValue() throws IOException {
        return p.getNumberValue();
      }

      @Override
      public void skipChildren() throws IOException {
        p.skipChildren();
      }
    };
  }
}
