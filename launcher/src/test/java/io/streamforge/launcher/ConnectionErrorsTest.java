package io.streamforge.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import io.streamforge.testkit.Datasets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a user sees when the cluster is not there or the client config is wrong. */
class ConnectionErrorsTest {

  @Test
  void anUnreachableClusterIsNamedWithAHint(@TempDir Path dir) throws Exception {
    // The client config file shortens the wait, which also proves it is applied.
    Path config = dir.resolve("client.properties");
    Files.writeString(config, "default.api.timeout.ms=1500\nrequest.timeout.ms=1000\n");
    for (String[] args :
        new String[][] {
          {"datasets"},
          {"topics", "list"},
          {"publish", Datasets.file("iris.csv").toString(), "--dataset", "iris"}
        }) {
      String[] full = new String[args.length + 4];
      System.arraycopy(args, 0, full, 0, args.length);
      full[args.length] = "--bootstrap-servers";
      full[args.length + 1] = "localhost:1";
      full[args.length + 2] = "--client-config";
      full[args.length + 3] = config.toString();
      Cli.Result r = Cli.run(full);
      assertThat(r.exitCode()).as(String.join(" ", args)).isEqualTo(1);
      assertThat(r.err())
          .as(String.join(" ", args))
          .contains("error: cannot reach the Kafka cluster at localhost:1")
          .contains("is it running?")
          .doesNotContain("\tat ");
    }
  }

  @Test
  void aMissingClientConfigFileIsReported(@TempDir Path dir) {
    Cli.Result r =
        Cli.run("datasets", "--client-config", dir.resolve("missing.properties").toString());
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.err()).contains("cannot read --client-config").contains("missing.properties");
  }

  @Test
  void badUsageExitsWithTwoAndSaysWhy() {
    Cli.Result r = Cli.run("publish", "x.csv");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).contains("Missing required option: '--dataset=<dataset>'");
    Cli.Result codec =
        Cli.run(
            "publish", Datasets.file("iris.csv").toString(), "--dataset", "x", "--codec", "lz4");
    assertThat(codec.exitCode()).isEqualTo(1);
    assertThat(codec.err()).contains("unknown codec 'lz4' (expected zstd or none)");
  }
}
