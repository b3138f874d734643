package io.wavelink.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.wavelink.function.FunctionEntity;
import io.wavelink.persistence.testkit.TestCassandra;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.typed.GetShardRegionState;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Probes of names that were never deployed cost nothing lasting (issue 11): each answers 404, and
 * afterwards no entity and no metric series of those names is left. (Before, each probe created a
 * remembered entity that was never passivated, with its journal recovery and Kamon instruments:
 * 20,000 probes grew a member's heap from 24 MB to 1.5 GB.)
 */
class UnknownNamesTest {

  private static WaveLinkMember member;
  private static Http http;

  static Config config() {
    return ConfigFactory.parseMap(
            Map.of(
                "wavelink.gateway.port", 0,
                "pekko.remote.artery.canonical.port", 0,
                "pekko.actor.serialize-messages", "on",
                "pekko.coordinated-shutdown.exit-jvm", "off",
                "kamon.metric.tick-interval", "1s"))
        .withFallback(TestCassandra.config())
        .withFallback(ConfigFactory.parseResourcesAnySyntax("application"));
  }

  @BeforeAll
  static void start() throws Exception {
    member = MemberEndToEndTest.startMember(config());
    http = new Http(member.httpPort());
  }

  @AfterAll
  static void stop() {
    if (member != null) {
      member.close();
    }
  }

  private static Set<String> functionEntities() throws Exception {
    var sharding = ClusterSharding.get(member.system());
    var state =
        AskPattern.<org.apache.pekko.cluster.sharding.typed.ClusterShardingQuery, ShardRegion.CurrentShardRegionState>ask(
                sharding.shardState(),
                replyTo -> new GetShardRegionState(FunctionEntity.TYPE_KEY, replyTo),
                Duration.ofSeconds(5),
                member.system().scheduler())
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
    Set<String> ids = new HashSet<>();
    state.getShards().forEach(shard -> ids.addAll(shard.getEntityIds()));
    return ids;
  }

  @Test
  void probesOfNamesNeverDeployedLeaveNoEntityAndNoMetricSeries() throws Exception {
    List<String> names = new ArrayList<>();
    for (int batch = 0; batch < 10; batch++) {
      List<CompletableFuture<HttpResponse<byte[]>>> calls = new ArrayList<>();
      for (int i = 0; i < 30; i++) {
        String name = "probe-" + Long.toHexString(Double.doubleToLongBits(Math.random())) + "-" + batch + "-" + i;
        names.add(name);
        calls.add(http.invokeAsync(name, new byte[] {1}));
      }
      for (CompletableFuture<HttpResponse<byte[]>> c : calls) {
        Http.assertError(c.join(), 404);
      }
    }
    http.await("the probes' entities gone", () -> {
      Set<String> alive = functionEntities();
      return names.stream().noneMatch(alive::contains);
    });
    http.await("a metrics refresh", () -> http.get("/metrics").body().contains("_not_deployed"));
    String metrics = http.get("/metrics").body();
    assertFalse(names.stream().anyMatch(metrics::contains), "no metric series carries a probed name");
    // and a name probed a moment ago can still be deployed and invoked
    HttpResponse<String> r = http.deploy(names.get(0), io.wavelink.node.sandbox.ExampleFunctions.load("echo"), Map.of());
    assertEquals(201, r.statusCode(), r.body());
    assertEquals(200, http.invoke(names.get(0), "hi".getBytes()).statusCode());
  }
}
