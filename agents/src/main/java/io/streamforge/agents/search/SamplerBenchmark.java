package io.streamforge.agents.search;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * The sampler benchmark behind {@code streamforge bench samplers}: the best value found after a
 * number of trials on Branin and Hartmann6, median (with min and max) over seeds {@code 0 ..
 * seeds-1}. Every sampler runs with the same seeds in the same run, so their rows compare directly.
 * Branin is measured at every trial count, Hartmann6 (the harder, six-dimensional function) at the
 * largest. A run of N trials gives the best-after-n for every n &lt;= N at once, since a sampler's
 * proposals depend only on the trials before.
 */
public final class SamplerBenchmark {
  /**
   * @param function {@code branin} or {@code hartmann6}
   * @param sampler the strategy name
   * @param trials the trial budget
   * @param medianBest median over seeds of the best value within the budget
   * @param min the best seed's best value
   * @param max the worst seed's best value
   */
  public record Row(
      String function, String sampler, int trials, double medianBest, double min, double max) {}

  private SamplerBenchmark() {}

  /**
   * Runs each sampler on Branin at each of {@code trialCounts} and on Hartmann6 at the largest.
   *
   * @param samplers strategy names for {@link Sampler#create}
   * @param seeds seeds 0 .. seeds-1 per sampler and function
   * @param trialCounts trial budgets, e.g. {@code {50, 200}}
   */
  public static List<Row> run(List<String> samplers, int seeds, int[] trialCounts) {
    if (seeds < 1) {
      throw new IllegalArgumentException("the benchmark needs seeds >= 1, was " + seeds);
    }
    if (trialCounts == null
        || trialCounts.length == 0
        || Arrays.stream(trialCounts).min().getAsInt() < 1) {
      throw new IllegalArgumentException(
          "the benchmark needs positive trial counts, got " + Arrays.toString(trialCounts));
    }
    int[] counts = Arrays.stream(trialCounts).distinct().sorted().toArray();
    int largest = counts[counts.length - 1];
    List<Row> rows = new ArrayList<>();
    for (String sampler : samplers) {
      rows.addAll(rows("branin", sampler, seeds, counts));
    }
    for (String sampler : samplers) {
      rows.addAll(rows("hartmann6", sampler, seeds, new int[] {largest}));
    }
    return rows;
  }

  private static List<Row> rows(String function, String sampler, int seeds, int[] counts) {
    int largest = counts[counts.length - 1];
    double[][] bestAt =
        IntStream.range(0, seeds)
            .parallel()
            .mapToObj(seed -> bestAfter(function, sampler, seed, largest, counts))
            .toArray(double[][]::new);
    List<Row> out = new ArrayList<>();
    for (int c = 0; c < counts.length; c++) {
      int col = c;
      double[] v = Arrays.stream(bestAt).mapToDouble(r -> r[col]).sorted().toArray();
      int n = v.length;
      double median = n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
      out.add(new Row(function, sampler, counts[c], median, v[0], v[n - 1]));
    }
    return out;
  }

  /** One optimisation run; the best value after each of {@code counts} trials. */
  static double[] bestAfter(String function, String strategy, long seed, int trials, int[] counts) {
    SearchSpace space = TestFunctions.space(function);
    Sampler sampler = Sampler.create(strategy, space, seed);
    List<Observation> history = new ArrayList<>();
    double best = Double.POSITIVE_INFINITY;
    double[] out = new double[counts.length];
    int next = 0;
    for (int t = 0; t < trials; t++) {
      Map<String, Double> p = sampler.propose(history, t);
      double v = TestFunctions.objective(function, space, p);
      history.add(new Observation(p, v));
      best = Math.min(best, v);
      while (next < counts.length && counts[next] == t + 1) {
        out[next++] = best;
      }
    }
    return out;
  }

  /** The rows as a markdown table, with each function's known minimum. */
  public static String markdown(List<Row> rows) {
    StringBuilder sb = new StringBuilder();
    sb.append("| function | minimum | sampler | trials | median best | min | max |\n");
    sb.append("|---|---:|---|---:|---:|---:|---:|\n");
    for (Row r : rows) {
      sb.append(
          String.format(
              Locale.ROOT,
              "| %s | %.5f | %s | %d | %.4f | %.4f | %.4f |%n",
              r.function(),
              TestFunctions.minimum(r.function()),
              r.sampler(),
              r.trials(),
              r.medianBest(),
              r.min(),
              r.max()));
    }
    return sb.toString();
  }

  /**
   * Prints the markdown table. Options: {@code --samplers tpe,random,gp} (default), {@code --seeds
   * 10} (default), {@code --trials 50,200} (default).
   */
  public static void main(String[] args) {
    List<String> samplers = List.of("tpe", "random", "gp");
    int seeds = 10;
    int[] trials = {50, 200};
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException("option " + a + " needs a value");
      }
      String v = args[++i];
      switch (a) {
        case "--samplers" -> samplers = List.of(v.split(","));
        case "--seeds" -> seeds = Integer.parseInt(v);
        case "--trials" ->
            trials = Arrays.stream(v.split(",")).mapToInt(Integer::parseInt).toArray();
        default ->
            throw new IllegalArgumentException(
                "unknown option " + a + "; options: --samplers, --seeds, --trials");
      }
    }
    long t0 = System.nanoTime();
    List<Row> rows = run(samplers, seeds, trials);
    System.out.print(markdown(rows));
    System.out.printf(
        Locale.ROOT,
        "%n%d seeds (0..%d), samplers %s, trials %s: %.1f s%n",
        seeds,
        seeds - 1,
        samplers,
        Arrays.toString(trials),
        (System.nanoTime() - t0) / 1e9);
  }
}
