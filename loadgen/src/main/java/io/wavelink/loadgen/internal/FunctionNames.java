package io.wavelink.loadgen.internal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;

/**
 * Names of the deployed functions: {@code lg-<mode>-<hash>}, where the hash covers the run's id and
 * the function's trace identity. A new run id per run (and the mode in the name) means every run,
 * and every mode of a comparison, starts from cold functions of its own.
 */
public final class FunctionNames {

  /** WaveLink's limit on function names. */
  public static final int MAX_LENGTH = 63;

  private FunctionNames() {}

  public static String name(String mode, String runId, String traceId) {
    return sanitize("lg-" + mode + "-" + sha256(runId + "\n" + traceId).substring(0, 12));
  }

  /** Lower-case letters, digits and single '-', starting and ending with a letter or digit, at most 63. */
  public static String sanitize(String raw) {
    String s = raw.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]", "-").replaceAll("-{2,}", "-");
    s = s.replaceAll("^-+", "");
    if (s.length() > MAX_LENGTH) {
      s = s.substring(0, MAX_LENGTH);
    }
    s = s.replaceAll("-+$", "");
    return s.isEmpty() ? "lg" : s;
  }

  private static String sha256(String s) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
    }
  }
}
