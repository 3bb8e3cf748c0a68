package io.streamforge.serving;

/** A request the edge refuses, with the HTTP status to answer and a message for the caller. */
public class EdgeException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final int status;

  public EdgeException(int status, String message) {
    super(message);
    this.status = status;
  }

  public int status() {
    return status;
  }

  public static EdgeException badRequest(String message) {
    return new EdgeException(400, message);
  }

  public static EdgeException notFound(String message) {
    return new EdgeException(404, message);
  }

  public static EdgeException unavailable(String message) {
    return new EdgeException(503, message);
  }
}
