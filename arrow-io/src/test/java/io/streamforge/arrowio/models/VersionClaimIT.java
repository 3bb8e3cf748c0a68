package io.streamforge.arrowio.models;

import static org.assertj.core.api.Assertions.assertThat;

import io.streamforge.arrowio.dataset.KafkaClients;
import io.streamforge.schemas.TopicAdmin;
import io.streamforge.schemas.Topics;
import io.streamforge.schemas.records.ModelEvent;
import io.streamforge.testkit.SharedKafka;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Jobs registering models of one name at the same time get distinct versions. */
@ExtendWith(SharedKafka.class)
class VersionClaimIT {
  @Test
  void concurrentClaimsGetDistinctVersionsAndAJobGetsItsClaimBack() throws Exception {
    KafkaClients clients = KafkaClients.of(SharedKafka.cluster().bootstrapServers());
    TopicAdmin.ensure(clients.admin(), Topics.ALL);
    String model = SharedKafka.cluster().uniqueName("claimed");
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try (KafkaProducer<String, byte[]> p1 = new KafkaProducer<>(clients.producer("claim-1"));
        KafkaProducer<String, byte[]> p2 = new KafkaProducer<>(clients.producer("claim-2"))) {
      List<Future<Integer>> claims = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        KafkaProducer<String, byte[]> p = i % 2 == 0 ? p1 : p2;
        String job = "job-" + i;
        Callable<Integer> claim = () -> ModelRegistry.claimVersion(clients, p, model, "fp32", job);
        claims.add(pool.submit(claim));
      }
      List<Integer> versions = new ArrayList<>();
      for (Future<Integer> f : claims) {
        versions.add(f.get());
      }
      assertThat(versions).doesNotHaveDuplicates().allMatch(v -> v >= 1 && v <= 12);
      // a job that claimed before (a worker died, the job resumed) gets the same version back
      int again = ModelRegistry.claimVersion(clients, p1, model, "fp32", "job-3");
      assertThat(again).isEqualTo(versions.get(3));
      // claims are never served: they are FAILED until the artifact's REGISTERED event replaces
      // them
      ModelRegistry registry = ModelRegistry.load(clients);
      assertThat(registry.latestServable(model, "fp32")).isEmpty();
      assertThat(registry.event(model, versions.get(0), "fp32"))
          .get()
          .extracting(ModelEvent::status)
          .isEqualTo(ModelEvent.ModelStatus.FAILED);
    } finally {
      pool.shutdownNow();
    }
  }
}
