package io.streamforge.launcher.cli;

import io.streamforge.schemas.Topic;
import io.streamforge.schemas.TopicAdmin;
import io.streamforge.schemas.Topics;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.admin.Admin;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code streamforge topics}: creates or lists the platform's topics. */
@Command(
    name = "topics",
    mixinStandardHelpOptions = true,
    description = {
      "create: creates every platform topic that does not exist yet, with its configs.",
      "list: lists the platform topics (and dataset topics) the cluster has."
    })
public final class TopicsCommand implements Callable<Integer> {
  @Mixin ConnectionOptions connection;

  @Parameters(
      index = "0",
      defaultValue = "list",
      paramLabel = "ACTION",
      description = "create or list (default ${DEFAULT-VALUE}).")
  String action;

  @Override
  public Integer call() throws Exception {
    var clients = connection.clients();
    try (Admin admin = Admin.create(clients.admin())) {
      switch (action) {
        case "create" -> {
          List<String> created = TopicAdmin.ensure(clients.admin(), Topics.ALL);
          for (Topic<String, ?> t : Topics.ALL) {
            System.out.printf(
                "%-20s %-8s %2d partitions  %s%n",
                t.name(),
                t.cleanupPolicy().config(),
                t.partitions(),
                created.contains(t.name()) ? "created" : "exists");
          }
        }
        case "list" -> {
          Set<String> names;
          try {
            names = new TreeSet<>(admin.listTopics().names().get());
          } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof org.apache.kafka.common.errors.TimeoutException) {
              throw clients.unreachable(e.getCause());
            }
            throw new IllegalStateException(
                "cannot list topics: " + e.getCause().getMessage(), e.getCause());
          }
          for (String n : names) {
            System.out.println(n);
          }
        }
        default ->
            throw new IllegalArgumentException("unknown action '" + action + "' (create or list)");
      }
    }
    return 0;
  }
}
