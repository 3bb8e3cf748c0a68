package io.streamforge.agents.search;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Tree-structured Parzen Estimator (Bergstra et al., NeurIPS 2011), multivariate.
 *
 * <p>After {@code nStartup} random trials (default 10), the finished trials are split by value: the
 * best {@code gamma(n) = min(ceil(0.2 n), 25)} of the {@code n} finite ones form the "good" set,
 * the rest (failed trials included, as the worst) the "bad" set. Each set becomes a Parzen
 * estimator on the unit cube: one kernel per trial plus a prior kernel (centre of the cube, width
 * of the whole range, weight of one trial), a truncated Gaussian per float or int dimension (log
 * dimensions in log space, ints as reals over {@code [low - 0.5, high + 0.5]}) and, per choice, the
 * trial's option smoothed by the prior (Optuna's rule). {@code nEiCandidates} points (default 24)
 * are drawn from the good estimator l(x) and the one with the largest l(x)/g(x) is proposed, which
 * maximises expected improvement under TPE's model.
 *
 * <p>Kernels are joint (one kernel per trial over all dimensions, as Optuna's {@code
 * multivariate=True}) so that on multimodal functions the candidates stay inside one good basin
 * instead of mixing coordinates of different ones. Bandwidths adapt per kernel: the distance to the
 * nearest other kernel centre (root-mean-square per dimension, the prior's centre counted), at most
 * the whole range and at least {@code 0.5 / min(100, k + 1)} for {@code k} kernels (half of
 * hyperopt's "magic clip"). Kernels in a cluster of good trials are narrow, so the search
 * concentrates on a basin; isolated ones stay wide, so it keeps looking elsewhere.
 *
 * <p>Why these settings (median best over many seeds, see docs/bench-samplers.md): with Optuna's
 * {@code gamma = 0.1 n} and hyperopt's per-dimension bandwidths and full clip, Branin after 50
 * trials reached 0.600 (300 seeds) and Hartmann6 after 200 reached -3.29 (40 seeds); with gamma 0.2
 * and half the clip, 0.426 and -3.12 (too greedy on Hartmann6, where runs got stuck near -1.0);
 * with the nearest-centre bandwidths above, 0.416 and -3.30.
 */
public final class TpeSampler implements Sampler {
  public static final int DEFAULT_STARTUP = 10;
  public static final int DEFAULT_EI_CANDIDATES = 24;
  private static final long SALT = 0x545045L; // "TPE"

  /** Tuning knobs; package-private so the benchmark and tests can compare variants. */
  record Options(
      int nStartup,
      int nEiCandidates,
      double gammaFraction,
      int gammaMax,
      double priorWeight,
      double clipScale) {
    static Options defaults() {
      return new Options(DEFAULT_STARTUP, DEFAULT_EI_CANDIDATES, 0.2, 25, 1.0, 0.5);
    }
  }

  private final SearchSpace space;
  private final long seed;
  private final Options options;
  private final Dimension[] numeric;
  private final Choice[] categorical;

  public TpeSampler(SearchSpace space, long seed) {
    this(space, seed, Options.defaults());
  }

  /**
   * @param nStartup random trials before the model is used (at least 1)
   * @param nEiCandidates candidates drawn from l(x) per proposal (at least 1)
   */
  public TpeSampler(SearchSpace space, long seed, int nStartup, int nEiCandidates) {
    this(space, seed, withCounts(nStartup, nEiCandidates));
  }

  TpeSampler(SearchSpace space, long seed, Options options) {
    if (space == null) {
      throw new IllegalArgumentException("a sampler needs a search space");
    }
    if (options.nStartup() < 1 || options.nEiCandidates() < 1) {
      throw new IllegalArgumentException(
          "TPE needs nStartup >= 1 and nEiCandidates >= 1, got "
              + options.nStartup()
              + " and "
              + options.nEiCandidates());
    }
    this.space = space;
    this.seed = seed;
    this.options = options;
    this.numeric =
        space.dimensions().stream().filter(d -> !(d instanceof Choice)).toArray(Dimension[]::new);
    this.categorical =
        space.dimensions().stream()
            .filter(d -> d instanceof Choice)
            .map(d -> (Choice) d)
            .toArray(Choice[]::new);
  }

  private static Options withCounts(int nStartup, int nEiCandidates) {
    Options d = Options.defaults();
    return new Options(
        nStartup, nEiCandidates, d.gammaFraction(), d.gammaMax(), d.priorWeight(), d.clipScale());
  }

  @Override
  public String name() {
    return "tpe";
  }

  @Override
  public Map<String, Double> propose(List<Observation> history, int trialIndex) {
    if (trialIndex < 0) {
      throw new IllegalArgumentException("trial index must be >= 0, was " + trialIndex);
    }
    Random rnd = Seeds.forTrial(seed, trialIndex, SALT);
    List<Point> points = Point.sorted(space, numeric, categorical, history);
    long finite = points.stream().filter(p -> Double.isFinite(p.value)).count();
    if (finite < options.nStartup()) {
      return space.sample(rnd);
    }
    int nGood =
        (int)
            Math.max(1, Math.min(options.gammaMax(), Math.ceil(options.gammaFraction() * finite)));
    Parzen good = new Parzen(points.subList(0, nGood));
    Parzen bad = new Parzen(points.subList(nGood, points.size()));
    double[] bestU = null;
    int[] bestC = null;
    double bestScore = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < options.nEiCandidates(); i++) {
      double[] u = new double[numeric.length];
      int[] c = new int[categorical.length];
      good.sample(rnd, u, c);
      for (int j = 0; j < numeric.length; j++) {
        u[j] = UnitCube.toUnit(numeric[j], UnitCube.fromUnit(numeric[j], u[j]));
      }
      double score = good.logPdf(u, c) - bad.logPdf(u, c);
      if (bestU == null || score > bestScore) {
        bestScore = score;
        bestU = u;
        bestC = c;
      }
    }
    return Point.params(space, numeric, categorical, bestU, bestC);
  }

  /** A mixture of product kernels, one per point plus a prior kernel centred on the cube. */
  private final class Parzen {
    private final int k;
    private final double[] logW;
    private final double[][] mu;
    private final double[][] sigma;
    private final double[][] logNorm; // log of the truncated Gaussian's mass inside [0, 1]
    private final double[][][] logP; // [kernel][categorical][option]
    private final double[] cumW;

    Parzen(List<Point> pts) {
      int n = pts.size();
      k = n + 1;
      int dn = numeric.length;
      logW = new double[k];
      cumW = new double[k];
      double total = n + options.priorWeight();
      double acc = 0;
      for (int i = 0; i < k; i++) {
        double w = i < n ? 1 : options.priorWeight();
        logW[i] = Math.log(w / total);
        acc += w / total;
        cumW[i] = acc;
      }
      mu = new double[k][dn];
      sigma = new double[k][dn];
      logNorm = new double[k][dn];
      double minSigma = options.clipScale() / Math.min(100.0, n + 1.0);
      double[] bandwidth = bandwidths(pts, minSigma);
      for (int i = 0; i < k; i++) {
        for (int j = 0; j < dn; j++) {
          mu[i][j] = i < n ? pts.get(i).u[j] : 0.5;
          sigma[i][j] = i < n ? bandwidth[i] : 1.0;
          double mass =
              Gauss.cdf((1 - mu[i][j]) / sigma[i][j]) - Gauss.cdf((0 - mu[i][j]) / sigma[i][j]);
          logNorm[i][j] = Math.log(Math.max(mass, 1e-300));
        }
      }
      logP = new double[k][categorical.length][];
      for (int c = 0; c < categorical.length; c++) {
        int m = categorical[c].options().size();
        double fill = options.priorWeight() / k;
        for (int i = 0; i < k; i++) {
          double[] w = new double[m];
          Arrays.fill(w, i < n ? fill : 1.0);
          if (i < n) {
            w[pts.get(i).c[c]] += 1;
          }
          double s = Arrays.stream(w).sum();
          for (int o = 0; o < m; o++) {
            w[o] = Math.log(w[o] / s);
          }
          logP[i][c] = w;
        }
      }
    }

    /**
     * Per kernel, the root-mean-square per-dimension distance to the nearest other centre (the
     * prior's centre included), clipped to {@code [minSigma, 1]}: kernels in a dense cluster of
     * good trials are narrow, isolated ones wide, and in more dimensions (where points are further
     * apart) wider than a per-dimension gap would make them.
     */
    private double[] bandwidths(List<Point> pts, double minSigma) {
      int n = pts.size();
      int dn = numeric.length;
      double[] out = new double[n];
      for (int i = 0; i < n; i++) {
        double[] a = pts.get(i).u;
        double nearest = 0;
        for (double x : a) {
          nearest += (x - 0.5) * (x - 0.5);
        }
        for (int o = 0; o < n; o++) {
          if (o != i) {
            double[] b = pts.get(o).u;
            double d2 = 0;
            for (int j = 0; j < dn && d2 < nearest; j++) {
              d2 += (a[j] - b[j]) * (a[j] - b[j]);
            }
            nearest = Math.min(nearest, d2);
          }
        }
        out[i] = Math.min(1.0, Math.max(minSigma, Math.sqrt(nearest / Math.max(1, dn))));
      }
      return out;
    }

    void sample(Random rnd, double[] u, int[] c) {
      double r = rnd.nextDouble();
      int comp = 0;
      while (comp < k - 1 && r >= cumW[comp]) {
        comp++;
      }
      for (int j = 0; j < u.length; j++) {
        double x;
        int tries = 0;
        do {
          x = mu[comp][j] + sigma[comp][j] * rnd.nextGaussian();
        } while ((x < 0 || x > 1) && ++tries < 100);
        u[j] = Math.min(1, Math.max(0, x));
      }
      for (int d = 0; d < c.length; d++) {
        double[] lp = logP[comp][d];
        double rr = rnd.nextDouble();
        double a = 0;
        int o = 0;
        for (; o < lp.length - 1; o++) {
          a += Math.exp(lp[o]);
          if (rr < a) {
            break;
          }
        }
        c[d] = o;
      }
    }

    double logPdf(double[] u, int[] c) {
      double max = Double.NEGATIVE_INFINITY;
      double[] terms = new double[k];
      for (int i = 0; i < k; i++) {
        double t = logW[i];
        for (int j = 0; j < u.length; j++) {
          double z = (u[j] - mu[i][j]) / sigma[i][j];
          t += -0.5 * z * z - Gauss.LOG_SQRT_2PI - Math.log(sigma[i][j]) - logNorm[i][j];
        }
        for (int d = 0; d < c.length; d++) {
          t += logP[i][d][c[d]];
        }
        terms[i] = t;
        max = Math.max(max, t);
      }
      double s = 0;
      for (double t : terms) {
        s += Math.exp(t - max);
      }
      return max + Math.log(s);
    }
  }

  /** An observation on the unit cube: numeric coordinates, option indexes, value. */
  static final class Point {
    final double[] u;
    final int[] c;
    final double value;

    private Point(double[] u, int[] c, double value) {
      this.u = u;
      this.c = c;
      this.value = value;
    }

    /**
     * The history on the unit cube, sorted by value (failed trials last, as the worst), ties broken
     * by coordinates so that the order of the history does not matter. Observations that are not
     * points of the space (stale parameters after a space change) are skipped.
     */
    static List<Point> sorted(
        SearchSpace space, Dimension[] numeric, Choice[] categorical, List<Observation> history) {
      List<Point> out = new ArrayList<>();
      for (Observation o : history) {
        if (!space.contains(o.params())) {
          continue;
        }
        double[] u = new double[numeric.length];
        for (int j = 0; j < numeric.length; j++) {
          u[j] = UnitCube.toUnit(numeric[j], o.params().get(numeric[j].name()));
        }
        int[] c = new int[categorical.length];
        for (int j = 0; j < categorical.length; j++) {
          c[j] = (int) Math.round(o.params().get(categorical[j].name()));
        }
        double v = Double.isFinite(o.value()) ? o.value() : Double.POSITIVE_INFINITY;
        out.add(new Point(u, c, v));
      }
      out.sort(
          Comparator.<Point>comparingDouble(p -> p.value)
              .thenComparing((a, b) -> Arrays.compare(a.u, b.u))
              .thenComparing((a, b) -> Arrays.compare(a.c, b.c)));
      return out;
    }

    static Map<String, Double> params(
        SearchSpace space, Dimension[] numeric, Choice[] categorical, double[] u, int[] c) {
      Map<String, Double> byName = new HashMap<>();
      for (int j = 0; j < numeric.length; j++) {
        byName.put(numeric[j].name(), UnitCube.fromUnit(numeric[j], u[j]));
      }
      for (int j = 0; j < categorical.length; j++) {
        byName.put(categorical[j].name(), (double) c[j]);
      }
      Map<String, Double> p = new LinkedHashMap<>();
      for (Dimension d : space.dimensions()) {
        p.put(d.name(), byName.get(d.name()));
      }
      return Collections.unmodifiableMap(p);
    }
  }
}
