package io.wavelink.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.datastax.oss.driver.api.core.CqlSession;
import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.wavelink.node.sandbox.ExampleFunctions;
import io.wavelink.persistence.testkit.TestCassandra;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.SerializationExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The dual-track design, proved on a real member with a real Cassandra: bursts on a cold function
 * in each mode, the journal left untouched by the emergency track, draining scale-down, and regular
 * instances that come back after a restart.
 */
class DualTrackTest {

  private static WaveLinkMember member;
  private static Http http;

  static Config config() {
    return ConfigFactory.parseMap(
            Map.of(
                "wavelink.gateway.port", 0,
                "pekko.remote.artery.canonical.port", 0,
                "pekko.actor.serialize-messages", "on",
                "pekko.coordinated-shutdown.exit-jvm", "off",
                "wavelink.function.tick", "500ms",
                "wavelink.function.emergency.idle-ttl", "1s",
                "wavelink.node.capacity-mb", 8192,
                // the same node before and after the member restarts (on another port)
                "wavelink.node.id", "dual-track-node"))
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

  private record Served(int status, String kind, String instance) {}

  private static List<Served> burst(String function, int n, String input) {
    List<CompletableFuture<HttpResponse<byte[]>>> calls = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      calls.add(http.invokeAsync(function, input.getBytes(StandardCharsets.UTF_8)));
    }
    List<Served> served = new ArrayList<>();
    for (CompletableFuture<HttpResponse<byte[]>> c : calls) {
      HttpResponse<byte[]> r = c.join();
      served.add(
          new Served(
              r.statusCode(),
              r.headers().firstValue("X-WaveLink-Instance-Kind").orElse(""),
              r.headers().firstValue("X-WaveLink-Instance").orElse("")));
    }
    return served;
  }

  private static JsonNode status(String function) throws Exception {
    return Http.json(http.get("/v1/functions/" + function).body());
  }

  private static int count(String function, String kind, String state) throws Exception {
    JsonNode n = status(function).get("instancesByKind").get(kind).get(state);
    return n == null ? 0 : n.asInt();
  }

  private static void deployBusy(String name, String mode, int maxScale) throws Exception {
    HttpResponse<String> r =
        http.deploy(
            name,
            ExampleFunctions.load("busy"),
            Map.of("memoryMb", 32, "concurrency", 1, "maxScale", maxScale, "timeoutMs", 60_000, "controlPlaneMode", mode));
    assertEquals(201, r.statusCode(), r.body());
  }

  @Test
  void aBurstInDualModeRunsOnEmergencyInstancesUntilTheRegularTrackDelivers() throws Exception {
    deployBusy("burst-dual", "dual", 10);

    List<Served> first = burst("burst-dual", 200, "100");
    assertTrue(first.stream().allMatch(s -> s.status() == 200), "every call of the burst succeeds");
    long emergency = first.stream().filter(s -> s.kind().equals("emergency")).count();
    assertTrue(emergency > 0, "the early calls ran on emergency instances");
    System.out.printf("dual burst of 200: %d on emergency, %d on regular instances%n", emergency, 200 - emergency);

    http.await("the regular track to deliver", () -> count("burst-dual", "regular", "ready") >= 1);
    int ready = count("burst-dual", "regular", "ready");
    List<Served> later = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      later.addAll(burst("burst-dual", Math.max(1, Math.min(ready, 4)), "5"));
    }
    assertTrue(later.stream().allMatch(s -> s.status() == 200));
    assertTrue(
        later.stream().allMatch(s -> s.kind().equals("regular")),
        "once regular capacity is there, calls run on regular instances: " + later);

    http.await("emergency instances retired", () -> status("burst-dual").get("instancesByKind").get("emergency").size() == 0);
    JsonNode stats = status("burst-dual").get("stats");
    assertTrue(stats.get("emergencyRetirements").asLong() >= 1);
    assertEquals(stats.get("emergencySpawns").asLong(), stats.get("emergencyRetirements").asLong());
    System.out.println("dual burst stats: " + stats);

    // the emergency track left no trace in the journal, for the function or for any node
    Set<String> emergencyIds = new HashSet<>();
    first.stream().filter(s -> s.kind().equals("emergency")).forEach(s -> emergencyIds.add(s.instance()));
    List<String> persistenceIds = new ArrayList<>(List.of("Function|burst-dual"));
    for (JsonNode node : Http.json(http.get("/v1/nodes").body()).get("nodes")) {
      persistenceIds.add("Node|" + node.get("id").asText());
    }
    List<String> events = journal(persistenceIds);
    assertTrue(events.stream().anyMatch(e -> e.contains("RegularInstanceAdded")), "the regular track did persist: " + events);
    for (String e : events) {
      for (String id : emergencyIds) {
        assertFalse(e.contains(id), "emergency instance " + id + " appears in the journal: " + e);
      }
      assertFalse(e.contains("-e-"), "an emergency instance appears in the journal: " + e);
    }
  }

  /**
   * Issue 10's CPU-bound burst: 200 concurrent calls of compute-only code on a cold dual function
   * with a 5 s timeout. The emergency instances start interpreted at once while their node compiles
   * the module in the background; every call answers, and once the compile is done the calls run
   * compiled, on emergency instances as on regular ones.
   */
  @Test
  void aCpuBoundBurstOnAColdFunctionRunsCompiledOnceItsNodeHasCompiledTheModule() throws Exception {
    HttpResponse<String> r =
        http.deploy(
            "cpu-burst",
            ExampleFunctions.load("work"),
            Map.of("memoryMb", 32, "concurrency", 1, "maxScale", 64, "timeoutMs", 5000, "controlPlaneMode", "dual"));
    assertEquals(201, r.statusCode(), r.body());
    String rounds = "100000"; // about 1 ms compiled, tens of ms interpreted
    List<CompletableFuture<HttpResponse<byte[]>>> calls = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      calls.add(http.invokeAsync("cpu-burst", rounds.getBytes(StandardCharsets.UTF_8)));
    }
    Set<String> outputs = new HashSet<>();
    Map<String, Integer> tiers = new java.util.TreeMap<>();
    List<String> failures = new ArrayList<>();
    for (CompletableFuture<HttpResponse<byte[]>> c : calls) {
      HttpResponse<byte[]> call = c.join();
      String body = new String(call.body(), StandardCharsets.UTF_8);
      String tier = call.headers().firstValue("X-WaveLink-Execution").orElse("none");
      tiers.merge(call.statusCode() + "/" + call.headers().firstValue("X-WaveLink-Instance-Kind").orElse("none") + "/" + tier,
          1, Integer::sum);
      if (call.statusCode() == 200) {
        outputs.add(body);
      } else {
        failures.add(call.statusCode() + " " + body);
      }
    }
    System.out.println("cpu-bound burst of 200, by status, instance kind and tier: " + tiers);
    assertEquals(List.of(), failures, "every call of the burst succeeds");
    assertTrue(tiers.keySet().stream().allMatch(k -> k.endsWith("/compiled") || k.endsWith("/interpreted")),
        "every call says which tier ran it: " + tiers);
    assertEquals(1, outputs.size(), "both tiers compute the same result: " + outputs);
    assertTrue(outputs.iterator().next().startsWith("ok "), outputs.toString());

    // the compile runs in the background: once one call reports it, every later call runs compiled
    http.await(
        "a call that runs compiled",
        () -> http.invoke("cpu-burst", rounds.getBytes(StandardCharsets.UTF_8))
            .headers().firstValue("X-WaveLink-Execution").orElse("").equals("compiled"));
    calls.clear();
    for (int i = 0; i < 20; i++) {
      calls.add(http.invokeAsync("cpu-burst", rounds.getBytes(StandardCharsets.UTF_8)));
    }
    for (CompletableFuture<HttpResponse<byte[]>> c : calls) {
      HttpResponse<byte[]> call = c.join();
      assertEquals(200, call.statusCode());
      assertEquals("compiled", call.headers().firstValue("X-WaveLink-Execution").orElse(""),
          "a call after the compile, on " + call.headers().firstValue("X-WaveLink-Instance-Kind").orElse("?"));
      assertEquals(outputs, Set.of(new String(call.body(), StandardCharsets.UTF_8)));
    }
  }

  @Test
  void theSameBurstInSyncAndAsyncModesRunsOnRegularInstancesOnly() throws Exception {
    for (String mode : List.of("sync", "async")) {
      String name = "burst-" + mode;
      deployBusy(name, mode, 10);
      List<Served> served = burst(name, 200, "20");
      assertTrue(served.stream().allMatch(s -> s.status() == 200), mode + ": every call succeeds");
      assertTrue(served.stream().allMatch(s -> s.kind().equals("regular")), mode + ": regular instances only");
      assertEquals(0, status(name).get("stats").get("emergencySpawns").asLong());
    }
  }

  @Test
  void scaleDownDrainsAndNeverFailsAnInvocationInFlight() throws Exception {
    HttpResponse<String> r =
        http.deploy(
            "drain",
            ExampleFunctions.load("busy"),
            Map.of(
                "memoryMb", 32,
                "maxScale", 4,
                "timeoutMs", 60_000,
                "controlPlaneMode", "sync",
                "autoscaling", Map.of("stableWindowMs", 2000, "panicWindowMs", 1000, "scaleToZeroGraceMs", 1000)));
    assertEquals(201, r.statusCode(), r.body());
    List<CompletableFuture<HttpResponse<byte[]>>> calls = new ArrayList<>();
    calls.add(http.invokeAsync("drain", "6000".getBytes(StandardCharsets.UTF_8)));
    for (int i = 0; i < 3; i++) {
      calls.add(http.invokeAsync("drain", "200".getBytes(StandardCharsets.UTF_8)));
    }
    // while the long call runs, demand drops to 1: the autoscaler drains the idle instances
    http.await(
        "a scale-down while a call is in flight",
        () -> {
          JsonNode s = status("drain");
          return s.get("inFlight").asInt() == 1 && s.get("stats").get("desiredRegular").asInt() < 4
              && count("drain", "regular", "ready") < 4;
        });
    for (CompletableFuture<HttpResponse<byte[]>> c : calls) {
      assertEquals(200, c.join().statusCode());
    }
    http.await("scale to zero", () -> status("drain").get("instances").size() == 0);
  }

  @Test
  void regularInstancesSurviveAMemberRestart() throws Exception {
    assertEquals(
        201,
        http.deploy("keep", ExampleFunctions.load("echo"), Map.of("minScale", 2, "maxScale", 3)).statusCode());
    // minScale 0 but a regular instance placed (kept: its scale-to-zero grace is long)
    Map<String, Object> placedSpec = Map.of("maxScale", 3, "autoscaling", Map.of("scaleToZeroGraceMs", 600_000));
    assertEquals(201, http.deploy("placed", ExampleFunctions.load("echo"), merge(placedSpec, Map.of("minScale", 1))).statusCode());
    http.await("placed's regular instance", () -> count("placed", "regular", "ready") == 1);
    assertEquals(200, http.deploy("placed", ExampleFunctions.load("echo"), merge(placedSpec, Map.of("minScale", 0))).statusCode());
    // minScale 0 and nothing placed: asleep after a restart until its first call
    assertEquals(201, http.deploy("asleep", ExampleFunctions.load("echo"), Map.of()).statusCode());
    http.await("two regular instances", () -> count("keep", "regular", "ready") == 2);
    http.await("placed's instance of version 2", () -> count("placed", "regular", "ready") == 1
        && status("placed").get("version").asLong() == 2);

    member.close();
    member = MemberEndToEndTest.startMember(config());
    http = new Http(member.httpPort());

    // woken without a call: keep by the catalog (minScale > 0), placed by its node's placements
    http.await("keep and placed woken after the restart",
        () -> runningFunctions().containsAll(List.of("keep", "placed")));
    assertFalse(runningFunctions().contains("asleep"),
        "a function with minScale 0 and nothing placed is not woken by a restart: " + runningFunctions());
    HttpResponse<byte[]> first = http.invoke("asleep", "on its first call".getBytes(StandardCharsets.UTF_8));
    assertEquals(200, first.statusCode(), "loaded from the journal on its first call");

    http.await("regular instances back", () -> count("keep", "regular", "ready") == 2);
    Set<String> after = new HashSet<>(status("keep").get("instances").findValuesAsText("id"));
    // the instances running now are exactly the desired regular instances the journal holds
    // (a graceful leave may have replaced the ones from before the restart: that is journaled too)
    assertEquals(regularInJournal("keep"), after, "the regular instances, recovered from the journal");
    HttpResponse<byte[]> r = http.invoke("keep", "still here".getBytes(StandardCharsets.UTF_8));
    assertEquals(200, r.statusCode());
    assertEquals("regular", r.headers().firstValue("X-WaveLink-Instance-Kind").orElseThrow());
    assertEquals("false", r.headers().firstValue("X-WaveLink-Cold-Start").orElseThrow());
  }

  @Test
  void metricsCountColdStartsByTrackAndInstancesByKind() throws Exception {
    deployBusy("metered", "dual", 2);
    assertTrue(burst("metered", 10, "50").stream().allMatch(s -> s.status() == 200));
    http.await(
        "per-function metrics",
        () -> {
          String text = http.get("/metrics").body();
          return text.contains("wavelink_cold_starts_total{")
              && text.contains("function=\"metered\"")
              && text.contains("wavelink_instances{")
              && text.contains("wavelink_emergency_spawns_total{");
        });
  }

  private static Map<String, Object> merge(Map<String, Object> a, Map<String, Object> b) {
    Map<String, Object> m = new java.util.HashMap<>(a);
    m.putAll(b);
    return m;
  }

  /** The function entities running on the member now (started by a message, not yet passivated). */
  private static Set<String> runningFunctions() throws Exception {
    var state =
        org.apache.pekko.actor.typed.javadsl.AskPattern.<org.apache.pekko.cluster.sharding.typed.ClusterShardingQuery,
                org.apache.pekko.cluster.sharding.ShardRegion.CurrentShardRegionState>ask(
                org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding.get(member.system()).shardState(),
                r -> new org.apache.pekko.cluster.sharding.typed.GetShardRegionState(
                    io.wavelink.function.FunctionEntity.TYPE_KEY, r),
                java.time.Duration.ofSeconds(10),
                member.system().scheduler())
            .toCompletableFuture()
            .get(15, java.util.concurrent.TimeUnit.SECONDS);
    Set<String> running = new HashSet<>();
    state.getShards().forEach(shard -> running.addAll(shard.getEntityIds()));
    return running;
  }

  /** The desired regular instances of a function, replayed from its journal. */
  private static Set<String> regularInJournal(String function) {
    try (CqlSession session = TestCassandra.newSession()) {
      return JournalReader.regularInstances(
          session, SerializationExtension.get(Adapter.toClassic(member.system())), function);
    }
  }

  /** Every event of these persistence ids, deserialized by the member's own serializers. */
  private static List<String> journal(List<String> persistenceIds) {
    var serialization = SerializationExtension.get(Adapter.toClassic(member.system()));
    List<String> events = new ArrayList<>();
    try (CqlSession session = TestCassandra.newSession()) {
      for (String pid : persistenceIds) {
        for (Object event : JournalReader.events(session, serialization, pid)) {
          events.add(event.getClass().getSimpleName() + ":" + event);
        }
      }
    }
    return events;
  }
}
