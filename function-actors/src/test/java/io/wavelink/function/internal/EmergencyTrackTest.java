package io.wavelink.function.internal;

import static io.wavelink.function.internal.InstancePoolTest.call;
import static io.wavelink.function.internal.InstancePoolTest.instance;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wavelink.node.InstanceKind;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class EmergencyTrackTest {

  private static final long MS = 1_000_000L;
  private final EmergencyTrack track = new EmergencyTrack(3, 2000, 50 * MS, 1000);

  private static InvocationQueue<String> queued(int n, long arrivalNanos) {
    InvocationQueue<String> q = new InvocationQueue<>(100, 1000);
    for (int i = 0; i < n; i++) {
      q.offer(new InvocationQueue.Waiting<>("i" + i, 1, arrivalNanos, Long.MAX_VALUE));
    }
    return q;
  }

  @Test
  void aColdFunctionIsDueAtOnceAWarmOneAfterTheQueueDelay() {
    InstancePool pool = new InstancePool();
    InvocationQueue<String> q = queued(1, 0);
    assertTrue(track.due(pool, q, 1), "no ready regular instance: at once");
    pool.add(instance("r", InstanceKind.REGULAR, 1, Instance.Phase.READY, 0));
    assertFalse(track.due(pool, q, 49 * MS));
    assertTrue(track.due(pool, q, 50 * MS));
    assertFalse(track.due(pool, queued(0, 0), 100 * MS), "nothing waits");
  }

  @Test
  void oneInstancePerUncoveredInvocationWithinTheBudget() {
    InstancePool pool = new InstancePool();
    pool.add(instance("e1", InstanceKind.EMERGENCY, 1, Instance.Phase.STARTING, 0));
    assertEquals(1, track.toSpawn(pool, queued(2, 0)), "one of two is covered by e1");
    assertEquals(2, track.toSpawn(pool, queued(10, 0)), "budget 3, one exists");
    assertEquals(0, track.toSpawn(pool, queued(1, 0)));
  }

  @Test
  void aFullNodeIsSkippedForTheBackoff() {
    Instance e = instance("e1", InstanceKind.EMERGENCY, 1, Instance.Phase.STARTING, 0);
    e.refusedBy().add("a");
    track.nodeFull("b", 1000);
    assertEquals(Set.of("a", "b"), track.skipped(e, 1500));
    assertEquals(Set.of("a"), track.skipped(e, 2000));
  }

  @Test
  void idleEmergencyInstancesRetireAfterTheirTtlOrWhenARegularSlotIsFree() {
    InstancePool pool = new InstancePool();
    Instance oldIdle = instance("old", InstanceKind.EMERGENCY, 1, Instance.Phase.READY, 0);
    Instance newIdle = instance("new", InstanceKind.EMERGENCY, 1, Instance.Phase.READY, 1500);
    Instance busy = instance("busy", InstanceKind.EMERGENCY, 1, Instance.Phase.READY, 0);
    for (Instance i : List.of(oldIdle, newIdle, busy)) {
      pool.add(i);
    }
    pool.dispatched(busy, 1, call());
    assertEquals(List.of(oldIdle), track.toRetire(pool, true, 2500));
    Instance regular = instance("r", InstanceKind.REGULAR, 2, Instance.Phase.READY, 0);
    pool.add(regular);
    assertEquals(List.of(oldIdle, newIdle), track.toRetire(pool, true, 2500), "a free regular slot covers them");
    assertEquals(List.of(oldIdle), track.toRetire(pool, false, 2500), "not while invocations wait");
  }
}
