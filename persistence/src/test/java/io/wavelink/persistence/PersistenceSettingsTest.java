package io.wavelink.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class PersistenceSettingsTest {

  @Test
  void defaultsFromReferenceConf() {
    PersistenceSettings settings = PersistenceSettings.create(ConfigFactory.load());
    assertEquals(List.of("127.0.0.1:9042"), settings.contactPoints());
    assertEquals("datacenter1", settings.localDatacenter());
    assertEquals(Duration.ofSeconds(1), settings.healthCheckTimeout());
    assertEquals(
        List.of(new InetSocketAddress("127.0.0.1", 9042)), settings.contactPointAddresses());
  }

  @Test
  void acceptsACommaSeparatedString() {
    Config config =
        ConfigFactory.parseString(
                "wavelink.persistence.cassandra.contact-points = \"10.0.0.5:9042, 10.0.0.6:9043,\"")
            .withFallback(ConfigFactory.load());
    assertEquals(
        List.of("10.0.0.5:9042", "10.0.0.6:9043"),
        PersistenceSettings.create(config).contactPoints());
  }

  @Test
  void rejectsAContactPointWithoutPort() {
    Config config =
        ConfigFactory.parseString("wavelink.persistence.cassandra.contact-points = [\"cassandra\"]")
            .withFallback(ConfigFactory.load());
    assertThrows(IllegalArgumentException.class, () -> PersistenceSettings.create(config));
  }

  @Test
  void parsesBracketedIpv6() {
    assertEquals(9042, PersistenceSettings.parseContactPoint("[::1]:9042").getPort());
  }

  @Test
  void referenceConfWiresTheCassandraPlugins() {
    Config config = ConfigFactory.load();
    assertEquals(
        "pekko.persistence.cassandra.journal",
        config.getString("pekko.persistence.journal.plugin"));
    assertEquals(
        "pekko.persistence.cassandra.snapshot",
        config.getString("pekko.persistence.snapshot-store.plugin"));
    assertEquals(
        Schema.JOURNAL_KEYSPACE, config.getString("pekko.persistence.cassandra.journal.keyspace"));
    assertEquals(
        Schema.SNAPSHOT_KEYSPACE,
        config.getString("pekko.persistence.cassandra.snapshot.keyspace"));
    assertEquals(false, config.getBoolean("pekko.persistence.cassandra.journal.tables-autocreate"));
    assertEquals(false, config.getBoolean("pekko.persistence.cassandra.events-by-tag.enabled"));
    assertEquals(
        List.of("127.0.0.1:9042"),
        config.getStringList("datastax-java-driver.basic.contact-points"));
    assertEquals(
        "datacenter1",
        config.getString("datastax-java-driver.basic.load-balancing-policy.local-datacenter"));
  }
}
