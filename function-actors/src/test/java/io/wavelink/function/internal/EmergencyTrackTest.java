package io.wavelink.function.internal;

import static io.wavelink.function.internal.InstancePoolTest.call;
import static io.wavelink.function.internal.InstancePoolTest.instance;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wavelink.node.InstanceKind;
import io.wavelink.node.Wavelet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class EmergencyTrackTest {

  private static final long MS = 1_000_000L;
  private final InstancePool pool = new InstancePool();
  private final FakeOutbox out = new FakeOutbox();
  private final Counters counters = new Counters();
  private final EmergencyTrack track =
      new EmergencyTrack(3, 2000, 50 * MS, 1000, pool, new CostMeter(), counters,
          new FunctionMetrics("test"), out, new java.util.SplittableRandom(1));

  static InvocationQueue queued(int n, long arrivalNanos) {
    InvocationQueue q = new InvocationQueue(100, 1000);
    for (int i = 0; i < n; i++) {
      q.offer(new InvocationQueue.Waiting(new byte[1], null, arrivalNanos, Long.MAX_VALUE));
    }
    return q;
  }

  @Test
  void aColdFunctionIsDueAtOnceAWarmOneAfterTheQueueDelay() {
    InvocationQueue q = queued(1, 0);
    assertTrue(track.due(q, 1), "no ready regular instance: at once");
    pool.add(instance("r", InstanceKind.REGULAR, 1, Instance.Phase.READY, 0));
    assertFalse(track.due(q, 49 * MS));
    assertTrue(track.due(q, 50 * MS));
    assertFalse(track.due(queued(0, 0), 100 * MS), "nothing waits");
  }

  @Test
  void oneInstancePerUncoveredInvocationWithinTheBudget() {
    pool.add(instance("e1", InstanceKind.EMERGENCY, 1, Instance.Phase.STARTING, 0));
    assertEquals(1, track.toSpawn(queued(2, 0)), "one of two is covered by e1");
    assertEquals(2, track.toSpawn(queued(10, 0)), "budget 3, one exists");
    assertEquals(0, track.toSpawn(queued(1, 0)));
  }

  @Test
  void spawnsGoToTheNodeWithMostRoomAndWaitThereForRoomToBeMade() {
    // neither node has 128 MB free; b can reclaim 512 MB of idle instances
    out.nodes(FakeOutbox.node("a", 1024, 1000, 0), FakeOutbox.node("b", 1024, 1024, 512));
    Definition def = MetersTest.definition("f", 128, 1, "dual");
    assertEquals(2, track.spawn(def, queued(2, 0), 700));
    List<Wavelet.StartInstance> starts = out.take(Wavelet.StartInstance.class);
    assertEquals(2, starts.size());
    for (Wavelet.StartInstance s : starts) {
      assertEquals(InstanceKind.EMERGENCY, s.kind());
      assertEquals(700, s.waitMs());
      assertTrue(s.callersWaiting());
    }
    assertEquals(List.of("b", "b"), pool.all().stream().map(Instance::nodeId).toList());
    assertEquals(2, counters.emergencySpawns());
  }

  @Test
  void aRefusalTriesTheNextNodeAndSkipsTheFullOneForAWhile() {
    out.nodes(FakeOutbox.node("a", 1024, 0, 0), FakeOutbox.node("b", 1024, 512, 0));
    Definition def = MetersTest.definition("f", 128, 1, "dual");
    track.spawn(def, queued(1, 0), 700);
    Instance inst = pool.all().iterator().next();
    String first = inst.nodeId(); // both have room: two random choices
    String other = first.equals("a") ? "b" : "a";
    out.take(Wavelet.StartInstance.class);
    assertEquals(EmergencyTrack.Failed.RETRYING,
        track.failed(def, inst, new Wavelet.InstanceFailed(inst.id(), first, true, "full"), 700));
    assertEquals(other, inst.nodeId());
    assertEquals(EmergencyTrack.Failed.GIVEN_UP,
        track.failed(def, inst, new Wavelet.InstanceFailed(inst.id(), other, true, "full"), 700));
    assertEquals(EmergencyTrack.Failed.BROKEN,
        track.failed(def, inst, new Wavelet.InstanceFailed(inst.id(), other, false, "invalid module"), 700));
  }

  @Test
  void theSpawnsOfABurstSpreadOverTheNodesWithRoom() {
    // the view shows two empty nodes and does not change during the burst
    out.nodes(FakeOutbox.node("a", 4096, 0, 0), FakeOutbox.node("b", 4096, 0, 0));
    Definition def = MetersTest.definition("f", 128, 1, "dual");
    assertEquals(3, track.spawn(def, queued(3, 0), 700), "the budget");
    java.util.Map<String, Long> byNode =
        pool.all().stream().collect(java.util.stream.Collectors.groupingBy(Instance::nodeId, java.util.stream.Collectors.counting()));
    assertEquals(Set.of("a", "b"), byNode.keySet(), "not all on the node that looked emptiest: " + byNode);
  }

  @Test
  void aFullNodeIsSkippedForTheBackoff() {
    Instance e = instance("e1", InstanceKind.EMERGENCY, 1, Instance.Phase.STARTING, 0);
    out.nowMs = 1000;
    track.failed(null, e, new Wavelet.InstanceFailed("e1", "b", true, "full"), 0);
    e.refusedBy().clear();
    e.refusedBy().add("a");
    assertEquals(Set.of("a", "b"), track.skipped(e, 1500));
    assertEquals(Set.of("a"), track.skipped(e, 2000));
  }

  @Test
  void idleEmergencyInstancesRetireAfterTheirTtlOrOnceTheFunctionHasRegularInstances() {
    Instance oldIdle = instance("old", InstanceKind.EMERGENCY, 1, Instance.Phase.READY, 0);
    Instance newIdle = instance("new", InstanceKind.EMERGENCY, 1, Instance.Phase.READY, 1500);
    Instance busy = instance("busy", InstanceKind.EMERGENCY, 1, Instance.Phase.READY, 0);
    for (Instance i : List.of(oldIdle, newIdle, busy)) {
      pool.add(i);
    }
    pool.dispatched(busy, 1, call());
    assertEquals(List.of(oldIdle), track.toRetire(true, 2500), "the function's only capacity: kept for the TTL");
    Instance regular = instance("r", InstanceKind.REGULAR, 2, Instance.Phase.STARTING, 0);
    pool.add(regular);
    assertEquals(List.of(oldIdle, newIdle), track.toRetire(true, 2500), "regular capacity on its way: retired at once");
    assertEquals(List.of(oldIdle), track.toRetire(false, 2500), "not while invocations wait, but for the TTL");
    regular.phase(Instance.Phase.DRAINING);
    assertEquals(List.of(oldIdle), track.toRetire(true, 2500), "a draining regular instance is no capacity");
  }

  @Test
  void theNextRetirementIsTheFirstIdleInstancesTtl() {
    assertEquals(-1, track.nextRetirementMs(), "nothing idle");
    Instance busy = instance("busy", InstanceKind.EMERGENCY, 1, Instance.Phase.READY, 0);
    pool.add(busy);
    pool.dispatched(busy, 1, call());
    pool.add(instance("starting", InstanceKind.EMERGENCY, 1, Instance.Phase.STARTING, 0));
    pool.add(instance("r", InstanceKind.REGULAR, 1, Instance.Phase.READY, 0));
    assertEquals(-1, track.nextRetirementMs(), "busy, starting and regular instances are not retired for idleness");
    pool.add(instance("late", InstanceKind.EMERGENCY, 1, Instance.Phase.READY, 900));
    pool.add(instance("early", InstanceKind.EMERGENCY, 1, Instance.Phase.READY, 300));
    assertEquals(300 + 2000, track.nextRetirementMs(), "idle TTL 2 s after the earliest idle one");
  }
}
