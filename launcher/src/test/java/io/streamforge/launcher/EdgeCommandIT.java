package io.streamforge.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import io.streamforge.testkit.SharedKafka;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@code streamforge edge} starts against a real broker, prints its configuration, gets ready. */
@ExtendWith(SharedKafka.class)
class EdgeCommandIT {

  @Test
  void theEdgeCommandStartsAndReportsReady(SharedKafka.Cluster cluster) {
    Cli.Result r =
        Cli.run(
            "edge",
            "--http-port",
            "0",
            "--admin-token",
            "s3cret",
            "--exit-when-ready",
            "--bootstrap-servers",
            cluster.bootstrapServers());
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.out())
        .contains("== StreamForge edge: ")
        .contains("bootstrap.servers=" + cluster.bootstrapServers())
        .contains("edge ready on port ")
        .doesNotContain("s3cret");
  }

  @Test
  void anUnreachableClusterIsReportedClearly() {
    Cli.Result r =
        Cli.run(
            "edge", "--http-port", "0", "--exit-when-ready", "--bootstrap-servers", "localhost:1");
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.err()).contains("error:").contains("localhost:1");
  }
}
