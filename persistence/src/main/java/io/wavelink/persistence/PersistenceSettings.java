package io.wavelink.persistence;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigValueType;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The {@code wavelink.persistence} section of the configuration, read once.
 *
 * <p>{@code contact-points} may be a list ({@code ["a:9042", "b:9042"]}) or a comma-separated
 * string (what the {@code WAVELINK_CASSANDRA_CONTACT_POINTS} environment variable gives). Every
 * entry is {@code host:port}; the port is required.
 *
 * @param contactPoints Cassandra nodes as {@code host:port}, never empty
 * @param localDatacenter the data center the driver sends requests to
 * @param healthCheckTimeout how long {@link JournalHealth} waits for Cassandra's answer
 */
public record PersistenceSettings(
    List<String> contactPoints, String localDatacenter, Duration healthCheckTimeout) {

  /** The configuration section this record is read from. */
  public static final String CONFIG_PATH = "wavelink.persistence";

  public PersistenceSettings {
    contactPoints = List.copyOf(contactPoints);
    Objects.requireNonNull(localDatacenter, "localDatacenter");
    Objects.requireNonNull(healthCheckTimeout, "healthCheckTimeout");
    if (contactPoints.isEmpty()) {
      throw new IllegalArgumentException("wavelink.persistence.cassandra.contact-points is empty");
    }
    contactPoints.forEach(PersistenceSettings::unresolved);
  }

  /**
   * Reads {@code wavelink.persistence} from a resolved configuration (the ActorSystem's, or {@code
   * ConfigFactory.load()}).
   *
   * @throws ConfigException if a key is missing or malformed
   */
  public static PersistenceSettings create(Config config) {
    Config section = config.getConfig(CONFIG_PATH);
    return new PersistenceSettings(
        contactPoints(section, "cassandra.contact-points"),
        section.getString("cassandra.local-datacenter"),
        section.getDuration("health-check.timeout"));
  }

  /** The contact points as socket addresses (host names are resolved now). */
  public List<InetSocketAddress> contactPointAddresses() {
    return contactPoints.stream().map(PersistenceSettings::parseContactPoint).toList();
  }

  /**
   * Parses one {@code host:port} (IPv6 hosts in brackets: {@code [::1]:9042}) into an address whose
   * host name is resolved now.
   *
   * @throws IllegalArgumentException if the port is missing or not a number
   */
  public static InetSocketAddress parseContactPoint(String contactPoint) {
    InetSocketAddress address = unresolved(contactPoint);
    return new InetSocketAddress(address.getHostString(), address.getPort());
  }

  private static InetSocketAddress unresolved(String contactPoint) {
    String trimmed = contactPoint.trim();
    int colon = trimmed.lastIndexOf(':');
    if (colon <= 0 || colon == trimmed.length() - 1) {
      throw new IllegalArgumentException(
          "Cassandra contact point '" + contactPoint + "' is not host:port");
    }
    String host = trimmed.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    try {
      return InetSocketAddress.createUnresolved(
          host, Integer.parseInt(trimmed.substring(colon + 1)));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "Cassandra contact point '" + contactPoint + "' has no valid port", e);
    }
  }

  private static List<String> contactPoints(Config section, String path) {
    ConfigValueType type = section.getValue(path).valueType();
    if (type == ConfigValueType.LIST) {
      return section.getStringList(path).stream().map(String::trim).toList();
    }
    if (type == ConfigValueType.STRING) {
      return Arrays.stream(section.getString(path).split(","))
          .map(String::trim)
          .filter(s -> !s.isEmpty())
          .toList();
    }
    throw new ConfigException.WrongType(
        section.origin(), CONFIG_PATH + "." + path, "list or comma-separated string", type.name());
  }
}
