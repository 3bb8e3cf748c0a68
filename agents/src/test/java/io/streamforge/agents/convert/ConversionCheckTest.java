package io.streamforge.agents.convert;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConversionCheckTest {

  @Test
  void passesWithinTheTolerance() {
    ConversionVerdict v =
        ConversionCheck.judge(Map.of("parity_max_abs_diff", 3e-6, "val_accuracy", 0.9));

    assertThat(v.passed()).isTrue();
    assertThat(v.reason()).contains("3.0E-6").contains("1.0E-4");
    assertThat(ConversionCheck.judge(Map.of("parity_max_abs_diff", 1e-4)).passed())
        .as("at the tolerance")
        .isTrue();
  }

  @Test
  void failsAboveTheToleranceNamingTheValue() {
    ConversionVerdict v = ConversionCheck.judge(Map.of("parity_max_abs_diff", 0.02), 1e-3);

    assertThat(v.passed()).isFalse();
    assertThat(v.reason()).isEqualTo("parity_max_abs_diff 0.02 is above the tolerance 0.001");
  }

  @Test
  void failsWhenTheFigureIsMissingOrNotANumber() {
    ConversionVerdict missing = ConversionCheck.judge(Map.of("val_accuracy", 0.9));
    assertThat(missing.passed()).isFalse();
    assertThat(missing.reason()).contains("no parity_max_abs_diff").contains("val_accuracy");

    assertThat(ConversionCheck.judge(null).passed()).isFalse();
    Map<String, Double> withNull = new HashMap<>();
    withNull.put("parity_max_abs_diff", null);
    assertThat(ConversionCheck.judge(withNull).passed()).isFalse();
    ConversionVerdict nan = ConversionCheck.judge(Map.of("parity_max_abs_diff", Double.NaN));
    assertThat(nan.passed()).isFalse();
    assertThat(nan.reason()).contains("NaN");
  }

  @Test
  void aVerdictRoundTripsThroughJson() throws Exception {
    ObjectMapper json = new ObjectMapper();
    ConversionVerdict v = ConversionCheck.judge(Map.of("parity_max_abs_diff", 0.02));

    assertThat(json.readValue(json.writeValueAsString(v), ConversionVerdict.class)).isEqualTo(v);
  }
}
