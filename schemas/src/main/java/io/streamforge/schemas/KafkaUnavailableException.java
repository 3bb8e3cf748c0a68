package io.streamforge.schemas;

/** The Kafka cluster did not answer in time; the message says where it was looked for. */
public class KafkaUnavailableException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public KafkaUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }

  /**
   * The message for a cluster that did not answer at {@code bootstrapServers} (null when the caller
   * does not know them).
   */
  public static KafkaUnavailableException at(String bootstrapServers, Throwable cause) {
    return new KafkaUnavailableException(
        "cannot reach the Kafka cluster"
            + (bootstrapServers == null ? "" : " at " + bootstrapServers)
            + " ("
            + cause.getMessage()
            + "): is it running? Start one with 'streamforge broker', or point"
            + " --bootstrap-servers (STREAMFORGE_BOOTSTRAP_SERVERS) at yours",
        cause);
  }
}
