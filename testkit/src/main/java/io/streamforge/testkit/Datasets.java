package io.streamforge.testkit;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the bundled datasets ({@code datasets/} at the repository root) are. */
public final class Datasets {
  private Datasets() {}

  /** The {@code datasets/} directory, found by walking up from the working directory. */
  public static Path dir() {
    Path p = Path.of("").toAbsolutePath();
    while (p != null) {
      Path candidate = p.resolve("datasets");
      if (Files.isRegularFile(candidate.resolve("iris.csv"))) {
        return candidate;
      }
      p = p.getParent();
    }
    throw new IllegalStateException(
        "bundled datasets not found: no datasets/iris.csv above " + Path.of("").toAbsolutePath());
  }

  public static Path file(String name) {
    return dir().resolve(name);
  }
}
