package io.wavelink.gateway;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * The settings under {@code wavelink.auth} (reference.conf).
 *
 * @param enabled whether API calls need a key ({@code mode = on}); off only when set explicitly
 * @param keyFile where the admin key is written when this member creates it
 * @param cacheTtl how long a gateway trusts a lookup of a key
 * @param staleIfError how long a key's last verdict holds while Cassandra does not answer
 * @param failuresPerMinute failed attempts per client address per minute before 429
 */
public record AuthSettings(boolean enabled, Path keyFile, Duration cacheTtl, Duration staleIfError, int failuresPerMinute) {

  public static AuthSettings create(Config root, Map<String, String> env) {
    Config c = root.getConfig("wavelink.auth");
    String mode = c.getString("mode").trim().toLowerCase(java.util.Locale.ROOT);
    if (!mode.equals("on") && !mode.equals("off")) {
      throw new IllegalArgumentException("wavelink.auth.mode (WAVELINK_AUTH) must be on or off, not '" + mode + "'");
    }
    String file = c.getString("key-file");
    Path keyFile = file.isBlank()
        ? Path.of(env.getOrDefault("WAVELINK_DATA_DIR", "data"), "admin.key")
        : Path.of(file);
    int failures = c.getInt("failures-per-minute");
    if (failures < 1) {
      throw new IllegalArgumentException("wavelink.auth.failures-per-minute must be positive");
    }
    return new AuthSettings(mode.equals("on"), keyFile, c.getDuration("cache-ttl"), c.getDuration("stale-if-error"), failures);
  }
}
