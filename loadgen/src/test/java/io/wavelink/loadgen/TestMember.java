package io.wavelink.loadgen;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.wavelink.cluster.WaveLinkMember;
import io.wavelink.persistence.testkit.Await;
import io.wavelink.persistence.testkit.TestCassandra;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

/**
 * A real WaveLink member for the client tools' tests (every role, the test Cassandra, real HTTP and
 * WebAssembly), started in-process as the cluster's own end-to-end tests do.
 */
public final class TestMember {

  private TestMember() {}

  /** Starts a member whose node offers {@code capacityMb}, and waits until it is ready. */
  public static WaveLinkMember start(int capacityMb) throws Exception {
    return start(capacityMb, Map.of());
  }

  /** As {@link #start(int)}, with more settings. */
  public static WaveLinkMember start(int capacityMb, Map<String, Object> settings) throws Exception {
    Config overrides =
        ConfigFactory.parseMap(settings).withFallback(ConfigFactory.parseMap(
                Map.of(
                    "wavelink.gateway.port", 0,
                    "pekko.remote.artery.canonical.port", 0,
                    "pekko.coordinated-shutdown.exit-jvm", "off",
                    "wavelink.node.capacity-mb", capacityMb)))
            .withFallback(TestCassandra.config())
            .withFallback(ConfigFactory.parseResourcesAnySyntax("application"));
    WaveLinkMember member = WaveLinkMember.start(ConfigFactory.load(overrides));
    HttpClient http = HttpClient.newHttpClient();
    URI ready = URI.create(url(member) + "/health/ready");
    Await.until("member ready", Duration.ofMinutes(2), () ->
        http.send(HttpRequest.newBuilder(ready).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.discarding())
            .statusCode() == 200);
    return member;
  }

  public static String url(WaveLinkMember member) {
    return "http://127.0.0.1:" + member.httpPort();
  }
}
