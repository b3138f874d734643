package io.wavelink.persistence.internal;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import com.datastax.oss.driver.api.core.config.OptionsMap;
import com.datastax.oss.driver.api.core.config.TypedDriverOption;
import java.time.Duration;
import java.util.List;

/**
 * Short-lived driver sessions for administration (readiness probes, applying the schema).
 *
 * <p>They are configured from the driver's built-in defaults plus the arguments only, never from
 * {@code application.conf}/{@code reference.conf}, so the contact points given are the only ones
 * used. They keep no schema metadata or token map ({@code session.getMetadata()} is empty of
 * keyspaces): query {@code system_schema} instead.
 */
public final class DriverSessions {

  private DriverSessions() {}

  /**
   * Connects to {@code contactPoints} ({@code host:port}) in {@code datacenter}; the caller closes
   * the session.
   *
   * @param requestTimeout the default timeout of each request and of connecting
   * @throws com.datastax.oss.driver.api.core.AllNodesFailedException if no node answers
   */
  public static CqlSession open(
      List<String> contactPoints, String datacenter, Duration requestTimeout) {
    OptionsMap options = OptionsMap.driverDefaults();
    options.put(TypedDriverOption.SESSION_NAME, "wavelink-admin");
    options.put(TypedDriverOption.CONTACT_POINTS, List.copyOf(contactPoints));
    options.put(TypedDriverOption.LOAD_BALANCING_LOCAL_DATACENTER, datacenter);
    options.put(TypedDriverOption.RECONNECT_ON_INIT, false);
    options.put(TypedDriverOption.REQUEST_TIMEOUT, requestTimeout);
    options.put(TypedDriverOption.CONNECTION_CONNECT_TIMEOUT, requestTimeout);
    options.put(TypedDriverOption.CONNECTION_INIT_QUERY_TIMEOUT, requestTimeout);
    options.put(TypedDriverOption.CONTROL_CONNECTION_TIMEOUT, requestTimeout);
    options.put(TypedDriverOption.METADATA_SCHEMA_REQUEST_TIMEOUT, requestTimeout);
    // Schema metadata is refreshed (with a 1 s debounce) after every DDL statement; without it,
    // applying the schema to a fresh node takes 0.1 s instead of 12 s. Schema agreement is still
    // awaited after each DDL statement.
    options.put(TypedDriverOption.METADATA_SCHEMA_ENABLED, false);
    options.put(TypedDriverOption.METADATA_TOKEN_MAP_ENABLED, false);
    return CqlSession.builder().withConfigLoader(DriverConfigLoader.fromMap(options)).build();
  }
}
