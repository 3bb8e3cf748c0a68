package io.streamforge.launcher.cli;

import io.streamforge.streams.api.Submissions;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.producer.KafkaProducer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code streamforge cancel ID}: asks the orchestrator to cancel a workflow. */
@Command(
    name = "cancel",
    mixinStandardHelpOptions = true,
    description =
        "Cancels a workflow: the orchestrator stops its trials (or its training, or its rollout)"
            + " and ends it CANCELLED.")
public final class CancelCommand implements Callable<Integer> {
  @Mixin ConnectionOptions connection;

  @Parameters(index = "0", paramLabel = "ID", description = "Workflow id.")
  String id;

  @Option(names = "--reason", defaultValue = "cancelled from the CLI", description = "Why.")
  String reason;

  @Override
  public Integer call() {
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(connection.clients().producer("streamforge-cancel"))) {
      Submissions.cancel(producer, id, reason);
    }
    System.err.println(
        "cancel of " + id + " sent; `streamforge status " + id + "` shows when it ends");
    return 0;
  }
}
