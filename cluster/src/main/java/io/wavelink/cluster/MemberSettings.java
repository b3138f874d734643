package io.wavelink.cluster;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.Set;

/**
 * What a member runs, read once from {@code wavelink.cluster}.
 *
 * @param roles any of {@code gateway} (HTTP API), {@code control} (function and node shards),
 *     {@code worker} (a Wavelet and its sandboxes)
 * @param directoryRefresh how often the member's node view polls the Wavelets
 * @param forgetDownAfter how long a node that left or died stays in the node view (as down)
 */
public record MemberSettings(Set<String> roles, Duration directoryRefresh, Duration forgetDownAfter) {

  public static final String GATEWAY = "gateway";
  public static final String CONTROL = "control";
  public static final String WORKER = "worker";

  public static MemberSettings create(Config root) {
    Config c = root.getConfig("wavelink.cluster");
    return new MemberSettings(
        Set.copyOf(root.getStringList("pekko.cluster.roles")),
        c.getDuration("directory-refresh"),
        c.getDuration("forget-down-after"));
  }

  public boolean has(String role) {
    return roles.contains(role);
  }
}
