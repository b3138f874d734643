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

  /**
   * The journal's driver session of {@code system}, as a plain {@link java.util.concurrent.CompletableFuture}.
   * The registry hands out a Scala future converted to Java, whose {@code thenCompose} and friends
   * run their function asynchronously on the common pool; on a machine with two cores that pool is
   * a new thread per call (CompletableFuture's ThreadPerTaskExecutor): thousands of threads a second
   * under load. A plain future runs them where the session completes, or at once once it has.
   */
  public static java.util.concurrent.CompletableFuture<CqlSession> journalSession(
      org.apache.pekko.actor.ClassicActorSystemProvider system, String pluginConfigPath) {
    java.util.concurrent.CompletableFuture<CqlSession> plain = new java.util.concurrent.CompletableFuture<>();
    org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSessionRegistry.get(system)
        .sessionFor(pluginConfigPath).underlying()
        .whenComplete((session, failure) -> {
          if (failure != null) {
            plain.completeExceptionally(failure);
          } else {
            plain.complete(session);
          }
        });
    return plain;
  }
}
