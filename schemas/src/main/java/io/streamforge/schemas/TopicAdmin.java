package io.streamforge.schemas;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.CreateTopicsResult;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Creates topics idempotently with their configs. */
public final class TopicAdmin {
  private static final Logger log = LoggerFactory.getLogger(TopicAdmin.class);

  private TopicAdmin() {}

  /**
   * Creates each topic that does not exist yet with a short-lived admin client built from {@code
   * adminConfig}; errors name its bootstrap servers.
   *
   * @return the names of the topics that were created now
   */
  public static List<String> ensure(
      Map<String, Object> adminConfig, Collection<? extends Topic<?, ?>> topics) {
    String servers = String.valueOf(adminConfig.get("bootstrap.servers"));
    try (Admin admin = Admin.create(adminConfig)) {
      return ensure(admin, topics, servers);
    }
  }

  /**
   * Creates each topic that does not exist yet; existing topics are left as they are.
   *
   * @return the names of the topics that were created now
   */
  public static List<String> ensure(Admin admin, Collection<? extends Topic<?, ?>> topics) {
    return ensure(admin, topics, null);
  }

  private static List<String> ensure(
      Admin admin, Collection<? extends Topic<?, ?>> topics, String servers) {
    List<NewTopic> requests = new ArrayList<>();
    for (Topic<?, ?> t : topics) {
      requests.add(t.newTopic());
    }
    CreateTopicsResult result = admin.createTopics(requests);
    List<String> created = new ArrayList<>();
    for (Map.Entry<String, KafkaFuture<Void>> e : result.values().entrySet()) {
      try {
        e.getValue().get(60, TimeUnit.SECONDS);
        created.add(e.getKey());
        log.info("created topic {}", e.getKey());
      } catch (ExecutionException ex) {
        if (ex.getCause() instanceof org.apache.kafka.common.errors.TimeoutException t) {
          throw KafkaUnavailableException.at(servers, t);
        }
        if (!(ex.getCause() instanceof TopicExistsException)) {
          throw new IllegalStateException(
              "cannot create topic '" + e.getKey() + "': " + ex.getCause().getMessage(),
              ex.getCause());
        }
      } catch (InterruptedException ex) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while creating topic " + e.getKey(), ex);
      } catch (TimeoutException ex) {
        throw KafkaUnavailableException.at(servers, ex);
      }
    }
    return created;
  }

  /** {@link #ensure(Admin, Collection)} for one topic. */
  public static boolean ensure(Admin admin, Topic<?, ?> topic) {
    return !ensure(admin, List.of(topic)).isEmpty();
  }
}
