package io.wavelink.persistence.internal;

import com.datastax.oss.driver.api.core.CqlSession;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.wavelink.persistence.PersistenceSettings;
import java.util.Map;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.stream.connectors.cassandra.CqlSessionProvider;
import org.apache.pekko.stream.connectors.cassandra.DriverConfigLoaderFromConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.concurrent.ExecutionContext;
import scala.concurrent.Future;
import scala.jdk.javaapi.FutureConverters;

/**
 * The {@code session-provider} of {@code pekko.persistence.cassandra}: builds the journal's and the
 * snapshot store's driver session like Pekko's {@code DefaultSessionProvider} (from the {@code
 * datastax-java-driver} section), but takes the contact points and the local data center from
 * {@link PersistenceSettings}, which accepts the comma-separated {@code
 * WAVELINK_CASSANDRA_CONTACT_POINTS} that the driver's list setting would reject.
 *
 * <p>Pekko instantiates it by reflection with the ActorSystem and the plugin's configuration
 * section. Pekko Discovery ({@code service-discovery.name}) is not supported.
 */
public final class WaveLinkSessionProvider implements CqlSessionProvider {

  private static final Logger log = LoggerFactory.getLogger(WaveLinkSessionProvider.class);

  private final ActorSystem system;
  private final Config pluginConfig;

  public WaveLinkSessionProvider(ActorSystem system, Config pluginConfig) {
    this.system = system;
    this.pluginConfig = pluginConfig;
  }

  @Override
  public Future<CqlSession> connect(ExecutionContext ec) {
    PersistenceSettings settings = PersistenceSettings.create(system.settings().config());
    Config driverConfig =
        ConfigFactory.parseMap(
                Map.of(
                    "basic.contact-points",
                    settings.contactPoints(),
                    "basic.load-balancing-policy.local-datacenter",
                    settings.localDatacenter()))
            .withFallback(CqlSessionProvider.driverConfig(system, pluginConfig));
    log.info(
        "Connecting the Cassandra journal to {} (data center {})",
        settings.contactPoints(),
        settings.localDatacenter());
    return FutureConverters.asScala(
        CqlSession.builder()
            .withConfigLoader(DriverConfigLoaderFromConfig.fromConfig(driverConfig))
            .buildAsync());
  }
}
