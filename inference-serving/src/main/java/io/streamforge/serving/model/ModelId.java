package io.streamforge.serving.model;

import java.util.Objects;

/** A model version and variant, {@code model:version:variant}. */
public record ModelId(String model, int version, String variant) {
  public ModelId {
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(variant, "variant");
  }

  @Override
  public String toString() {
    return model + ":" + version + ":" + variant;
  }
}
