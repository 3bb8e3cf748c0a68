package io.streamforge.arrowio.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** 2-bit packing of ternary weights and the container of a packed ternary model. */
class TernaryPackingTest {

  private static byte[] randomTernary(Random r, int n) {
    byte[] v = new byte[n];
    for (int i = 0; i < n; i++) {
      v[i] = (byte) (r.nextInt(3) - 1);
    }
    return v;
  }

  @Test
  void packingRoundTripsForRandomSizesIncludingNonMultiplesOfFour() {
    Random r = new Random(5);
    for (int trial = 0; trial < 500; trial++) {
      int n = trial < 20 ? trial : r.nextInt(5000);
      byte[] values = randomTernary(r, n);
      byte[] packed = TernaryPacking.pack(values);
      assertThat(packed).as("size for %d weights", n).hasSize((n + 3) / 4);
      assertThat(TernaryPacking.unpack(packed, n))
          .as("round trip of %d weights", n)
          .isEqualTo(values);
    }
  }

  @Test
  void packedLayoutIsTwoBitsPerWeightLowBitsFirst() {
    // 0, +1, -1, 0 | +1  ->  0b00_10_01_00 = 0x24, then 0b01
    assertThat(TernaryPacking.pack(new byte[] {0, 1, -1, 0, 1})).containsExactly(0x24, 0x01);
  }

  @Test
  void nonTernaryValuesAndInvalidCodesAreRefused() {
    assertThatThrownBy(() -> TernaryPacking.pack(new byte[] {0, 1, 2}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("value 2 at index 2 is not ternary");
    assertThatThrownBy(() -> TernaryPacking.unpack(new byte[] {(byte) 0xC0}, 4))
        .isInstanceOf(ArtifactException.class)
        .hasMessageContaining("invalid code 11 at weight 3");
    assertThatThrownBy(() -> TernaryPacking.unpack(new byte[1], 5))
        .isInstanceOf(ArtifactException.class)
        .hasMessageContaining("needs 2 bytes, has 1");
  }

  @Test
  void containerRoundTripsAndIsRecognised() {
    Random r = new Random(9);
    TernaryPacking.Tensor a =
        new TernaryPacking.Tensor("w_a", new long[] {7, 5}, randomTernary(r, 35));
    TernaryPacking.Tensor b = new TernaryPacking.Tensor("w_b", new long[] {3}, randomTernary(r, 3));
    byte[] onnx = {8, 7, 18, 3, 'a', 'b', 'c'};
    byte[] container = TernaryPacking.write(onnx, List.of(a, b));
    assertThat(TernaryPacking.isContainer(container)).isTrue();
    assertThat(TernaryPacking.isContainer(onnx)).isFalse();
    TernaryPacking.Contents c = TernaryPacking.read(container);
    assertThat(c.strippedOnnx()).isEqualTo(onnx);
    assertThat(c.tensors()).containsExactly(a, b);
    // 38 weights take 10 + 1 packed bytes, far less than the 38 int8 bytes they replace
    assertThat(container.length).isLessThan(onnx.length + 38 + 60);
  }

  @Test
  void toOnnxAppendsTheTensorsAsInt8InitializersOfAGraphField() {
    TernaryPacking.Tensor t =
        new TernaryPacking.Tensor("w", new long[] {2, 2}, new byte[] {1, 0, -1, 1});
    byte[] stripped = {0x08, 0x07}; // ir_version = 7
    byte[] onnx = TernaryPacking.toOnnx(TernaryPacking.write(stripped, List.of(t)));
    byte[] tensor = {
      0x08,
      2,
      0x08,
      2, // dims 2, 2
      0x10,
      3, // data_type INT8
      0x42,
      1,
      'w', // name
      0x4A,
      4,
      1,
      0,
      (byte) 0xFF,
      1 // raw_data
    };
    byte[] graph = new byte[2 + tensor.length];
    graph[0] = 0x2A; // initializer (5), length-delimited
    graph[1] = (byte) tensor.length;
    System.arraycopy(tensor, 0, graph, 2, tensor.length);
    byte[] expected = new byte[2 + 2 + graph.length];
    expected[0] = 0x08;
    expected[1] = 0x07;
    expected[2] = 0x3A; // graph (7), length-delimited
    expected[3] = (byte) graph.length;
    System.arraycopy(graph, 0, expected, 4, graph.length);
    assertThat(onnx).isEqualTo(expected);
  }

  @Test
  void truncatedOrForeignBytesAreRefusedWithAReason() {
    byte[] container =
        TernaryPacking.write(
            new byte[] {8, 7},
            List.of(new TernaryPacking.Tensor("w", new long[] {9}, new byte[9])));
    for (int cut = 1; cut < container.length; cut++) {
      byte[] shorter = Arrays.copyOf(container, cut);
      assertThatThrownBy(() -> TernaryPacking.read(shorter))
          .as("cut at %d", cut)
          .isInstanceOf(ArtifactException.class);
    }
    assertThatThrownBy(() -> TernaryPacking.toOnnx(new byte[] {8, 7, 0, 0, 0, 0, 0, 0, 0}))
        .isInstanceOf(ArtifactException.class)
        .hasMessageContaining("not a packed ternary model");
    assertThatThrownBy(() -> new TernaryPacking.Tensor("w", new long[] {2, 3}, new byte[5]))
        .hasMessageContaining("holds 6 values, got 5");
  }
}
