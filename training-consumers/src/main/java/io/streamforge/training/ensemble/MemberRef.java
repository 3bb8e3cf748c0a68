package io.streamforge.training.ensemble;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * One member of an ensemble as a job names it: {@code model:version} of a registered fp32 model.
 *
 * @param model model name
 * @param version its version, at least 1
 */
public record MemberRef(String model, int version) {
  public MemberRef {
    if (model == null || model.isBlank()) {
      throw new IllegalArgumentException("member model name is empty");
    }
    if (version < 1) {
      throw new IllegalArgumentException(
          "member " + model + " has version " + version + "; versions start at 1");
    }
  }

  /** {@code model:version}, as in job params and reports. */
  @Override
  public String toString() {
    return model + ":" + version;
  }

  /**
   * Reads {@code model:version} (the last colon separates them, so a model name may hold colons).
   *
   * @throws IllegalArgumentException naming what is wrong
   */
  public static MemberRef parse(String s) {
    String t = s == null ? "" : s.trim();
    int colon = t.lastIndexOf(':');
    if (colon <= 0 || colon == t.length() - 1) {
      throw new IllegalArgumentException(
          "ensemble member '" + s + "' is not model:version (e.g. digits:3)");
    }
    int version;
    try {
      version = Integer.parseInt(t.substring(colon + 1).trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "ensemble member '" + s + "' has no version number after the colon", e);
    }
    return new MemberRef(t.substring(0, colon).trim(), version);
  }

  /**
   * Reads a comma-separated list, in order.
   *
   * @throws IllegalArgumentException for fewer than two members, a member listed twice or a bad
   *     entry
   */
  public static List<MemberRef> parseList(String csv) {
    List<MemberRef> out = new ArrayList<>();
    Set<MemberRef> seen = new LinkedHashSet<>();
    for (String part : (csv == null ? "" : csv).split(",")) {
      if (part.isBlank()) {
        continue;
      }
      MemberRef m = parse(part);
      if (!seen.add(m)) {
        throw new IllegalArgumentException("ensemble member " + m + " is listed twice");
      }
      out.add(m);
    }
    if (out.size() < 2) {
      throw new IllegalArgumentException(
          "an ensemble needs at least 2 members (model:version, comma-separated); got "
              + out.size()
              + (csv == null || csv.isBlank() ? "" : " in '" + csv + "'"));
    }
    return List.copyOf(out);
  }

  /** The list as job params write it: {@code a:1,b:2}. */
  public static String toCsv(List<MemberRef> members) {
    return String.join(",", members.stream().map(MemberRef::toString).toList());
  }
}
