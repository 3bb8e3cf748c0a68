package io.streamforge.launcher;

import picocli.CommandLine;

/** The version printed by {@code streamforge --version}, from the jar manifest. */
public final class Version implements CommandLine.IVersionProvider {
  /** The StreamForge version, or {@code dev} when run from classes. */
  public static String current() {
    String v = Version.class.getPackage().getImplementationVersion();
    return v == null ? "dev" : v;
  }

  @Override
  public String[] getVersion() {
    return new String[] {
      "StreamForge " + current(),
      "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + ")"
    };
  }
}
