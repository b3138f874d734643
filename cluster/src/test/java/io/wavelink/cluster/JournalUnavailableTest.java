package io.wavelink.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.ConfigFactory;
import io.wavelink.node.sandbox.ExampleFunctions;
import java.net.ServerSocket;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A member whose Cassandra is not reachable: not ready, and deploys answer 503, changing nothing. */
class JournalUnavailableTest {

  private static WaveLinkMember member;
  private static Http http;

  @BeforeAll
  static void start() throws Exception {
    int deadPort;
    try (ServerSocket s = new ServerSocket(0)) {
      deadPort = s.getLocalPort(); // closed again: nothing listens there
    }
    member =
        WaveLinkMember.start(
            ConfigFactory.load(
                ConfigFactory.parseMap(
                        Map.of(
                            "wavelink.gateway.port", 0,
                            "pekko.remote.artery.canonical.port", 0,
                            "pekko.coordinated-shutdown.exit-jvm", "off",
                            "wavelink.persistence.cassandra.contact-points", "127.0.0.1:" + deadPort))
                    .withFallback(ConfigFactory.parseResourcesAnySyntax("application"))));
    http = new Http(member.httpPort());
  }

  @AfterAll
  static void stop() {
    if (member != null) {
      member.close();
    }
  }

  @Test
  void deploysAnswer503AndTheMemberIsNotReady() throws Exception {
    http.await("HTTP up", () -> http.get("/health/live").statusCode() == 200);
    Http.assertError(http.get("/health/ready"), 503);
    Http.assertError(http.deploy("echo", ExampleFunctions.load("echo"), Map.of()), 503);
    Http.assertError(http.invoke("echo", new byte[0]), 503);
  }
}
