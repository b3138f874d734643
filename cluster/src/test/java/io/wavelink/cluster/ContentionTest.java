package io.wavelink.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.wavelink.node.sandbox.ExampleFunctions;
import io.wavelink.persistence.testkit.TestCassandra;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Many functions sharing one node's memory, on a real member: keep-alive is a cache, not a
 * reservation. The node offers 1 GB; idle emergency instances live 20 s and a regular instance
 * takes far longer than that to be scaled down, so a call that had to wait out another function's
 * idle timeout would take at least 20 s: none does.
 */
class ContentionTest {

  private static final int NODE_MB = 1024;
  private static final long IDLE_TTL_MS = 20_000;

  private static WaveLinkMember member;
  private static Http http;
  private final List<String> deployed = new ArrayList<>();

  static Config config() {
    return ConfigFactory.parseMap(
            Map.of(
                "wavelink.gateway.port", 0,
                "pekko.remote.artery.canonical.port", 0,
                "pekko.actor.serialize-messages", "on",
                "pekko.coordinated-shutdown.exit-jvm", "off",
                "wavelink.function.tick", "500ms",
                "wavelink.function.emergency.idle-ttl", IDLE_TTL_MS + "ms",
                "wavelink.node.capacity-mb", NODE_MB,
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

  /** Each test starts from an empty node: its functions are deleted and their memory is free again. */
  @AfterEach
  void deleteFunctions() throws Exception {
    for (String f : deployed) {
      http.delete("/v1/functions/" + f);
    }
    http.await("the node's memory free again", () -> allocatedMb() == 0);
  }

  private void deploy(String name, int memoryMb, Map<String, Object> more) throws Exception {
    Map<String, Object> fields = new java.util.HashMap<>(Map.of("memoryMb", memoryMb, "timeoutMs", 30_000, "maxScale", 2));
    fields.putAll(more);
    HttpResponse<String> r = http.deploy(name, ExampleFunctions.load("busy"), fields);
    assertEquals(201, r.statusCode(), r.body());
    deployed.add(name);
  }

  private static int allocatedMb() throws Exception {
    int total = 0;
    for (JsonNode n : Http.json(http.get("/v1/nodes").body()).get("nodes")) {
      total += n.path("allocatedMb").asInt();
    }
    return total;
  }

  private static JsonNode stats(String function) throws Exception {
    return Http.json(http.get("/v1/functions/" + function).body()).get("stats");
  }

  private static long evictions(String function, String kind) throws Exception {
    return stats(function).get("evictions").get(kind).asLong();
  }

  @Test
  void moreFunctionsThanFitAtOnceTakeTurnsWithoutWaitingOutIdleTimeouts() throws Exception {
    // 12 functions of 256 MB on a 1 GB node: four fit at once. Every control-plane mode takes part.
    List<String> modes = List.of("dual", "sync", "async");
    for (int i = 0; i < 12; i++) {
      deploy("c-" + i, 256, Map.of("controlPlaneMode", modes.get(i % 3)));
    }
    List<Long> latencies = new ArrayList<>();
    for (int round = 0; round < 3; round++) {
      for (int i = 0; i < 12; i++) {
        long started = System.nanoTime();
        HttpResponse<byte[]> r = http.invoke("c-" + i, "5".getBytes(StandardCharsets.UTF_8));
        long ms = (System.nanoTime() - started) / 1_000_000;
        assertEquals(200, r.statusCode(), "c-" + i + " round " + round + ": " + new String(r.body(), StandardCharsets.UTF_8));
        assertTrue(ms < IDLE_TTL_MS, "c-" + i + " waited " + ms + " ms: as long as another function's idle timeout");
        latencies.add(ms);
      }
    }
    long evicted = 0;
    for (int i = 0; i < 12; i++) {
      evicted += evictions("c-" + i, "regular") + evictions("c-" + i, "emergency");
    }
    assertTrue(evicted >= 12, "idle instances were evicted to make room: " + evicted);
    assertTrue(allocatedMb() <= NODE_MB, "the node never holds more than it has");
    http.await("evictions in /metrics", () -> http.get("/metrics").body().contains("wavelink_evictions_total"));
    List<Long> sorted = new ArrayList<>(latencies);
    Collections.sort(sorted);
    System.out.printf("CONTENTION 12 x 256 MB on %d MB, 36 calls in turn: median %d ms, p90 %d ms, max %d ms, %d evictions%n",
        NODE_MB, sorted.get(sorted.size() / 2), sorted.get(sorted.size() * 9 / 10), sorted.get(sorted.size() - 1), evicted);
  }

  @Test
  void emergencyInstancesThatFillTheNodeMakeRoomForTheRegularTrack() throws Exception {
    // a burst fills the node with emergency instances (8 x 128 MB) before its regular track delivers
    deploy("burst", 128, Map.of("controlPlaneMode", "dual", "regularTrackDelayMs", 1500));
    List<CompletableFuture<HttpResponse<byte[]>>> calls = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      calls.add(http.invokeAsync("burst", "300".getBytes(StandardCharsets.UTF_8)));
    }
    int onEmergency = 0;
    for (CompletableFuture<HttpResponse<byte[]>> c : calls) {
      HttpResponse<byte[]> r = c.join();
      assertEquals(200, r.statusCode(), new String(r.body(), StandardCharsets.UTF_8));
      onEmergency += r.headers().firstValue("X-WaveLink-Instance-Kind").orElse("").equals("emergency") ? 1 : 0;
    }
    assertTrue(onEmergency >= 1, "the burst ran on emergency instances");

    // the regular track then needs room: idle emergency instances go rather than a call fail (the
    // function retires its own once its regular instances are on their way; the node evicts them
    // for another function)
    http.await("a regular instance of the burst function", () -> {
      JsonNode byKind = Http.json(http.get("/v1/functions/burst").body()).get("instancesByKind").get("regular");
      return byKind.path("ready").asInt() >= 1;
    });
    // so does a new function that must keep an instance (minScale 1), while the node is still held
    deploy("steady", 256, Map.of("controlPlaneMode", "sync", "minScale", 1));
    http.await("steady's regular instance", () -> {
      JsonNode byKind = Http.json(http.get("/v1/functions/steady").body()).get("instancesByKind").get("regular");
      return byKind.path("ready").asInt() >= 1;
    });
    for (int i = 0; i < 5; i++) {
      HttpResponse<byte[]> r = http.invoke("steady", "1".getBytes(StandardCharsets.UTF_8));
      assertEquals(200, r.statusCode(), new String(r.body(), StandardCharsets.UTF_8));
      assertEquals("regular", r.headers().firstValue("X-WaveLink-Instance-Kind").orElse(""));
    }
    long emergencyEvicted = evictions("burst", "emergency");
    long emergencyRetired = stats("burst").get("emergencyRetirements").asLong();
    assertTrue(emergencyEvicted + emergencyRetired >= 1,
        "idle emergency instances made room for the regular track: " + stats("burst"));
    assertTrue(allocatedMb() <= NODE_MB);
    System.out.printf("CONTENTION burst: %d of 8 on emergency instances; for regular instances %d retired by the function, %d evicted by the node%n",
        onEmergency, emergencyRetired, emergencyEvicted);
  }

  @Test
  void anInstanceLargerThanEveryNodeIsRefusedAtOnceWithRetryAfter() throws Exception {
    deploy("huge", 2048, Map.of("controlPlaneMode", "dual"));
    HttpResponse<byte[]> r = http.invoke("huge", "1".getBytes(StandardCharsets.UTF_8));
    JsonNode error = Http.assertError(r, 503);
    assertEquals("no_capacity", error.get("error").asText());
    assertTrue(r.headers().firstValue("Retry-After").isPresent());
    assertEquals(1, stats("huge").get("noCapacity").asLong());
  }
}
