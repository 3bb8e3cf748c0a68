package io.streamforge.training.quant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The acceptance gate and the options of a quantization job. */
class AcceptancePolicyTest {

  @Test
  void theDefaultGateAcceptsADropOfUpToOnePointAndNoMore() {
    AcceptancePolicy p = AcceptancePolicy.defaults();
    assertThat(p.decide(0.0, 1_000_000, 99).accepted()).isTrue();
    assertThat(p.decide(+2.5, 1, 1).accepted()).isTrue();
    assertThat(p.decide(-1.0, 1, 1).accepted()).as("exactly the limit").isTrue();
    AcceptancePolicy.Decision d = p.decide(-1.01, 1, 1);
    assertThat(d.accepted()).isFalse();
    assertThat(d.reason()).isEqualTo("accuracy drop 1.01 points > 1.00");
    assertThat(p.decide(Double.NaN, 1, 1).accepted()).isFalse();
  }

  @Test
  void sizeAndLatencyBudgetsRejectWithEveryBrokenConstraintNamed() {
    AcceptancePolicy p = new AcceptancePolicy(0.5, 10_000L, 0.2);
    assertThat(p.decide(-0.5, 10_000, 0.2).accepted()).isTrue();
    assertThat(p.decide(-0.5, 10_000, 0.2).reason())
        .isEqualTo("accuracy drop 0.50 <= 0.50 points; 10000 <= 10000 bytes; 0.200 <= 0.200 ms");
    AcceptancePolicy.Decision big = p.decide(0, 10_001, 0.1);
    assertThat(big.accepted()).isFalse();
    assertThat(big.reason()).isEqualTo("10001 bytes > 10000");
    AcceptancePolicy.Decision all = p.decide(-3, 20_000, 0.25);
    assertThat(all.accepted()).isFalse();
    assertThat(all.reason())
        .isEqualTo(
            "accuracy drop 3.00 points > 0.50; 20000 bytes > 10000; batch-1 latency 0.250 ms >"
                + " 0.200 ms");
  }

  @Test
  void impossibleBudgetsAreRefused() {
    assertThatThrownBy(() -> new AcceptancePolicy(-1, null, null))
        .hasMessageContaining("0 or more");
    assertThatThrownBy(() -> new AcceptancePolicy(1, 0L, null)).hasMessageContaining("bytes");
    assertThatThrownBy(() -> new AcceptancePolicy(1, null, 0.0)).hasMessageContaining("latency");
  }

  @Test
  void jobParamsReadAndWriteTheOptions() {
    QuantizationOptions d = QuantizationOptions.fromParams(Map.of());
    assertThat(d).isEqualTo(QuantizationOptions.defaults());
    assertThat(d.methods()).containsExactlyElementsOf(QuantMethod.all());
    QuantizationOptions o =
        QuantizationOptions.fromParams(
            Map.of(
                "methods", "ternary, INT8_STATIC",
                "max_accuracy_drop", "0.5",
                "max_model_bytes", "5000",
                "max_latency_ms", "0.3",
                "calibration", "entropy",
                "qat_epochs", "3"));
    assertThat(o.methods()).containsExactly(QuantMethod.TERNARY, QuantMethod.INT8_STATIC);
    assertThat(o.policy()).isEqualTo(new AcceptancePolicy(0.5, 5000L, 0.3));
    assertThat(o.calibration()).isEqualTo(CalibrationMethod.ENTROPY);
    assertThat(o.qatEpochs()).isEqualTo(3);
    assertThat(QuantizationOptions.fromParams(o.toParams())).isEqualTo(o);
  }

  @Test
  void badParamsAreRefusedNamingTheKey() {
    assertThatThrownBy(() -> QuantizationOptions.fromParams(Map.of("methods", "int4")))
        .hasMessageContaining("unknown quantization method 'int4'")
        .hasMessageContaining("int8-weight,int8-static,int8-dynamic,ternary");
    assertThatThrownBy(() -> QuantizationOptions.fromParams(Map.of("max_accuracy_drop", "lots")))
        .hasMessageContaining("'max_accuracy_drop' must be a number, was 'lots'");
    assertThatThrownBy(() -> QuantizationOptions.fromParams(Map.of("calibration", "mse")))
        .hasMessageContaining("unknown calibration 'mse'");
    assertThatThrownBy(() -> QuantizationOptions.fromParams(Map.of("qat_epochs", "-1")))
        .hasMessageContaining("qat_epochs must be within 0..1000");
    assertThatThrownBy(() -> QuantizationOptions.defaults().withMethods(List.of()))
        .hasMessageContaining("no quantization method");
  }
}
