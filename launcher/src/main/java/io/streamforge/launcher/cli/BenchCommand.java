package io.streamforge.launcher.cli;

import io.streamforge.launcher.UserException;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code streamforge bench}: the benchmarks whose results docs/benchmarks.md records. */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = "Benchmarks (see docs/benchmarks.md for method and results).",
    subcommands = {
      BenchDatasetCommand.class,
      BenchEdgeCommand.class,
      BenchTrainCommand.class,
      BenchSamplersCommand.class,
      BenchQuantizeCommand.class,
      BenchCommand.Jmh.class
    })
public final class BenchCommand implements Runnable {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  /**
   * {@code streamforge bench jmh [JMH ARGS]}: the JMH micro-benchmarks of serdes and converters.
   */
  @Command(
      name = "jmh",
      mixinStandardHelpOptions = true,
      description = {
        "Runs the JMH benchmarks (module benchmarks/) in a forked JVM, building them if needed.",
        "Arguments go to JMH, e.g.: bench jmh -f 1 -wi 3 -i 5 DatasetBatchSerde"
      })
  public static final class Jmh implements Callable<Integer> {
    /** Everything after {@code jmh} goes to JMH as it is. */
    @picocli.CommandLine.Unmatched List<String> args = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
      String home = System.getProperty("streamforge.home");
      if (home == null) {
        throw new UserException("bench jmh runs from a source checkout: use bin/streamforge");
      }
      Path root = Path.of(home);
      Path target = root.resolve("benchmarks/target");
      Path jar = target.resolve("streamforge-benchmarks.jar");
      if (!Files.exists(jar)) {
        run(
            root,
            List.of(
                root.resolve("mvnw").toString(),
                "-B",
                "-q",
                "-DskipTests",
                "-pl",
                "benchmarks",
                "-am",
                "package"));
      }
      List<String> cmd = new ArrayList<>();
      cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      cmd.add("--add-opens=java.base/java.nio=ALL-UNNAMED");
      cmd.add("-cp");
      cmd.add(jar + File.pathSeparator + target.resolve("lib") + File.separator + "*");
      cmd.add("org.openjdk.jmh.Main");
      cmd.addAll(args.isEmpty() ? List.of("-f", "1", "-wi", "3", "-i", "5") : args);
      return run(root, cmd);
    }

    private static int run(Path dir, List<String> cmd) throws Exception {
      Process p = new ProcessBuilder(cmd).directory(dir.toFile()).inheritIO().start();
      int code = p.waitFor();
      if (code != 0) {
        throw new UserException(
            String.join(" ", cmd.subList(0, Math.min(3, cmd.size()))) + "... exited with " + code);
      }
      return code;
    }
  }
}
