package io.streamforge.agents.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.streamforge.agents.deploy.CanaryVerdict.Kind;
import io.streamforge.schemas.records.WorkflowRequest.Rollout;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CanaryAnalyzerTest {
  private static final CanaryPolicy POLICY =
      new CanaryPolicy(0.01, 1.5, 50, List.of(10.0, 25.0, 50.0, 100.0));
  private static final WindowStats STABLE = new WindowStats(1000, 2, 20.0);

  @Test
  void tooFewCanaryRequestsWait() {
    CanaryVerdict v = CanaryAnalyzer.judge(new WindowStats(49, 40, 500), STABLE, 10, POLICY);

    assertThat(v.kind()).isEqualTo(Kind.WAIT);
    assertThat(v.weight()).isEqualTo(10);
    assertThat(v.reason()).contains("49 request(s)").contains("50 are needed");
  }

  @Test
  void anErrorRateBreachRollsBack() {
    CanaryVerdict v = CanaryAnalyzer.judge(new WindowStats(200, 5, 20), STABLE, 25, POLICY);

    assertThat(v.kind()).isEqualTo(Kind.ROLLBACK);
    assertThat(v.weight()).isZero();
    assertThat(v.reason())
        .contains("0.0250 (5 of 200)")
        .contains("limit 0.0100")
        .contains("0.0020");
  }

  @Test
  void errorsTheStableSharesAreNotTheCanarysFault() {
    WindowStats badStable = new WindowStats(1000, 30, 20);

    CanaryVerdict v = CanaryAnalyzer.judge(new WindowStats(200, 5, 20), badStable, 10, POLICY);

    assertThat(v.kind()).isEqualTo(Kind.STEP);
    assertThat(v.reason()).contains("the stable's 0.0300 is as high");
  }

  @Test
  void aLatencyBreachRollsBack() {
    CanaryVerdict v = CanaryAnalyzer.judge(new WindowStats(200, 0, 31), STABLE, 10, POLICY);

    assertThat(v.kind()).isEqualTo(Kind.ROLLBACK);
    assertThat(v.reason()).contains("p99 31.00 ms").contains("1.50 × stable p99 20.00 ms");
    assertThat(CanaryAnalyzer.judge(new WindowStats(200, 0, 30), STABLE, 10, POLICY).kind())
        .as("exactly at the ratio passes")
        .isEqualTo(Kind.STEP);
  }

  @Test
  void cleanWindowsWalkTheStepsThenPromote() {
    WindowStats clean = new WindowStats(300, 1, 21);
    double weight = 10;
    List<String> walk = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      CanaryVerdict v = CanaryAnalyzer.judge(clean, STABLE, weight, POLICY);
      walk.add(v.kind() + "@" + (int) v.weight());
      if (v.kind() == Kind.PROMOTE) {
        break;
      }
      weight = v.weight();
    }

    assertThat(walk).containsExactly("STEP@25", "STEP@50", "STEP@100", "PROMOTE@100");
  }

  @Test
  void withoutAStableOneCleanWindowPromotes() {
    CanaryVerdict v = CanaryAnalyzer.judge(new WindowStats(60, 0, 500), null, 10, POLICY);

    assertThat(v.kind()).isEqualTo(Kind.PROMOTE);
    assertThat(v.weight()).isEqualTo(100);
    assertThat(v.reason()).contains("no stable version");
    assertThat(CanaryAnalyzer.judge(new WindowStats(60, 3, 5), null, 10, POLICY).kind())
        .as("errors still count without a stable")
        .isEqualTo(Kind.ROLLBACK);
    assertThat(CanaryAnalyzer.judge(new WindowStats(10, 0, 5), null, 10, POLICY).kind())
        .isEqualTo(Kind.WAIT);
  }

  @Test
  void aPolicyFromTheRolloutDoublesTheWeightUpToAHundred() {
    CanaryPolicy p =
        CanaryPolicy.from(new Rollout(10, 5, Map.of("max_error_rate", 0.05, "min_samples", 20.0)));

    assertThat(p.steps()).containsExactly(10.0, 20.0, 40.0, 80.0, 100.0);
    assertThat(p.maxErrorRate()).isEqualTo(0.05);
    assertThat(p.maxP99Ratio()).isEqualTo(1.5);
    assertThat(p.minSamples()).isEqualTo(20);
    assertThat(CanaryPolicy.from(new Rollout(30, 5, null)).steps())
        .containsExactly(30.0, 60.0, 100.0);
    assertThat(CanaryPolicy.from(null).steps()).containsExactly(10.0, 20.0, 40.0, 80.0, 100.0);
  }

  @Test
  void stepsMustRiseToAHundred() {
    assertThatThrownBy(() -> new CanaryPolicy(0.01, 1.5, 50, List.of(10.0, 50.0)))
        .hasMessageContaining("end at 100");
    assertThatThrownBy(() -> new CanaryPolicy(0.01, 1.5, 50, List.of(50.0, 10.0, 100.0)))
        .hasMessageContaining("rise");
    assertThatThrownBy(() -> new WindowStats(5, 6, 1)).hasMessageContaining("6 of 5");
  }

  @Test
  void verdictsAndPoliciesRoundTripThroughJson() throws Exception {
    ObjectMapper json = new ObjectMapper();
    CanaryVerdict v = CanaryAnalyzer.judge(new WindowStats(300, 1, 21), STABLE, 10, POLICY);

    assertThat(json.readValue(json.writeValueAsString(v), CanaryVerdict.class)).isEqualTo(v);
    assertThat(json.readValue(json.writeValueAsString(POLICY), CanaryPolicy.class))
        .isEqualTo(POLICY);
    assertThat(json.readValue(json.writeValueAsString(STABLE), WindowStats.class))
        .isEqualTo(STABLE);
  }
}
