package io.streamforge.launcher.cli;

import io.streamforge.agents.search.SamplerBenchmark;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code streamforge bench samplers}: search quality of TPE, random and GP on test functions. */
@Command(
    name = "samplers",
    mixinStandardHelpOptions = true,
    description = {
      "Best value found on Branin (after 50 and 200 trials) and Hartmann6 (after 200), median over"
          + " seeds, for each sampler in the same run. Targets: TPE <= 0.45 on Branin at 50;"
          + " <= -3.15 on Hartmann6 at 200."
    })
public final class BenchSamplersCommand implements Callable<Integer> {
  @Option(
      names = "--samplers",
      split = ",",
      defaultValue = "tpe,random,gp",
      description = "Samplers (default ${DEFAULT-VALUE}).")
  List<String> samplers;

  @Option(
      names = "--seeds",
      defaultValue = "10",
      description = "Seeds 0..N-1 (default ${DEFAULT-VALUE}).")
  int seeds;

  @Option(
      names = "--trials",
      split = ",",
      defaultValue = "50,200",
      description = "Trial counts (default ${DEFAULT-VALUE}).")
  List<Integer> trials;

  @Override
  public Integer call() {
    long t0 = System.nanoTime();
    List<SamplerBenchmark.Row> rows =
        SamplerBenchmark.run(
            samplers, seeds, trials.stream().mapToInt(Integer::intValue).toArray());
    System.out.print(SamplerBenchmark.markdown(rows));
    System.out.printf(Locale.ROOT, "%n%d seeds, %.1f s%n", seeds, (System.nanoTime() - t0) / 1e9);
    return 0;
  }
}
