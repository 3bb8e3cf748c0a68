package io.streamforge.agents.search;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** What every sampler promises: determinism, points of the space, robustness to failed trials. */
class SamplerTest {
  static final SearchSpace SPACE = SearchSpaceTest.MIXED;

  /** A smooth objective over the mixed space, with an optimum at an interior point. */
  static double objective(Map<String, Double> p) {
    double lr = Math.log10(SPACE.real(p, "lr"));
    double width = Math.log(SPACE.integer(p, "width")) / Math.log(2);
    double v = (lr + 2.5) * (lr + 2.5) + 0.3 * (width - 6) * (width - 6);
    v += 0.5 * Math.abs(SPACE.integer(p, "layers") - 2) + SPACE.real(p, "dropout");
    return v + (SPACE.choice(p, "optimizer").equals("adamw") ? 0 : 0.7);
  }

  /** Runs {@code trials} trials, failing every {@code failEvery}-th (0: none). */
  static List<Observation> run(Sampler s, int trials, int failEvery) {
    List<Observation> h = new ArrayList<>();
    for (int t = 0; t < trials; t++) {
      Map<String, Double> p = s.propose(h, t);
      assertThat(SPACE.contains(p)).as("trial %d of %s: %s", t, s.name(), p).isTrue();
      double v = failEvery > 0 && t % failEvery == failEvery - 1 ? Double.NaN : objective(p);
      h.add(new Observation(p, v));
    }
    return h;
  }

  @ParameterizedTest
  @ValueSource(strings = {"random", "tpe", "gp"})
  void sameSeedHistoryAndIndexGiveTheSameProposal(String strategy) {
    List<Observation> h = run(Sampler.create(strategy, SPACE, 7), 25, 0);
    Sampler again = Sampler.create(strategy, SPACE, 7);
    Map<String, Double> first = Sampler.create(strategy, SPACE, 7).propose(h, 25);
    assertThat(again.propose(h, 25)).isEqualTo(first);
    // a fresh history in another order: the same (history is a set of finished trials)
    List<Observation> shuffled = new ArrayList<>(h);
    Collections.shuffle(shuffled, new java.util.Random(3));
    assertThat(again.propose(shuffled, 25)).isEqualTo(first);
    // a whole run replays identically
    assertThat(run(Sampler.create(strategy, SPACE, 7), 25, 0)).isEqualTo(h);
  }

  @ParameterizedTest
  @ValueSource(strings = {"random", "tpe", "gp"})
  void differentSeedsOrIndexesGiveDifferentProposals(String strategy) {
    List<Observation> h = run(Sampler.create(strategy, SPACE, 1), 20, 0);
    Map<String, Double> a = Sampler.create(strategy, SPACE, 1).propose(h, 20);
    Map<String, Double> b = Sampler.create(strategy, SPACE, 2).propose(h, 20);
    Map<String, Double> c = Sampler.create(strategy, SPACE, 1).propose(h, 21);
    assertThat(b).isNotEqualTo(a);
    assertThat(c).as("parallel trials with the same history").isNotEqualTo(a);
    assertThat(run(Sampler.create(strategy, SPACE, 2), 20, 0)).isNotEqualTo(h);
  }

  @ParameterizedTest
  @ValueSource(strings = {"tpe", "gp"})
  void failedTrialsDoNotBreakTheModel(String strategy) {
    Sampler s = Sampler.create(strategy, SPACE, 11);
    List<Observation> h = run(s, 40, 3); // a third fail
    assertThat(h.stream().filter(Observation::failed)).hasSize(13);
    double best =
        h.stream().filter(o -> !o.failed()).mapToDouble(Observation::value).min().orElseThrow();
    assertThat(best).isLessThan(1.0); // random search's first 10 trials are rarely that good
    // only failures (and infinities): still proposes points of the space
    List<Observation> allFailed = new ArrayList<>();
    for (int t = 0; t < 15; t++) {
      Map<String, Double> p = s.propose(allFailed, t);
      assertThat(SPACE.contains(p)).isTrue();
      allFailed.add(new Observation(p, t % 2 == 0 ? Double.NaN : Double.POSITIVE_INFINITY));
    }
    assertThat(SPACE.contains(s.propose(allFailed, 15))).isTrue();
  }

  @Test
  void modelBasedSamplersLearnOnTheMixedSpace() {
    // TPE and GP after 40 trials beat random search's 40 trials on most seeds
    int tpeWins = 0;
    int gpWins = 0;
    for (long seed = 0; seed < 5; seed++) {
      double random = best(run(Sampler.create("random", SPACE, seed), 40, 0));
      tpeWins += best(run(Sampler.create("tpe", SPACE, seed), 40, 0)) < random ? 1 : 0;
      gpWins += best(run(Sampler.create("gp", SPACE, seed), 40, 0)) < random ? 1 : 0;
    }
    assertThat(tpeWins).isGreaterThanOrEqualTo(4);
    assertThat(gpWins).isGreaterThanOrEqualTo(4);
  }

  @Test
  void factoryKnowsTheStrategies() {
    assertThat(Sampler.create(null, SPACE, 1)).isInstanceOf(TpeSampler.class);
    assertThat(Sampler.create("TPE", SPACE, 1).name()).isEqualTo("tpe");
    assertThat(Sampler.create("random", SPACE, 1)).isInstanceOf(RandomSampler.class);
    assertThat(Sampler.create(" gp ", SPACE, 1)).isInstanceOf(GpSampler.class);
    assertThatThrownBy(() -> Sampler.create("hyperband", SPACE, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'hyperband'");
  }

  static double best(List<Observation> h) {
    return h.stream().mapToDouble(Observation::value).min().orElseThrow();
  }
}
