package io.wavelink.function.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wavelink.node.InstanceKind;
import java.util.List;
import org.junit.jupiter.api.Test;

class InstancePoolTest {

  static Instance instance(String id, InstanceKind kind, int concurrency, Instance.Phase phase, long idleSinceMs) {
    return new Instance(id, kind, concurrency, 64 * concurrency, phase, idleSinceMs);
  }

  static Instance.Call call() {
    return new Instance.Call(null, Long.MAX_VALUE);
  }

  @Test
  void aFreeRegularSlotIsPreferredToAnEmergencyInstance() {
    InstancePool pool = new InstancePool();
    Instance e1 = instance("e1", InstanceKind.EMERGENCY, 1, Instance.Phase.READY, 0);
    Instance r1 = instance("r1", InstanceKind.REGULAR, 2, Instance.Phase.READY, 0);
    Instance r2 = instance("r2", InstanceKind.REGULAR, 2, Instance.Phase.READY, 0);
    pool.add(e1);
    pool.add(r1);
    pool.add(r2);
    pool.dispatched(r1, 1, call());
    pool.dispatched(r1, 2, call());
    assertSame(r2, pool.freeSlot(), "r1 is full, r2 has room");
    pool.dispatched(r2, 3, call());
    pool.dispatched(r2, 4, call());
    assertSame(e1, pool.freeSlot(), "only the emergency instance is left");
    pool.dispatched(e1, 5, call());
    assertNull(pool.freeSlot());
    assertEquals(5, pool.inFlight());
  }

  @Test
  void instancesThatAreNotReadyTakeNoCalls() {
    InstancePool pool = new InstancePool();
    pool.add(instance("r1", InstanceKind.REGULAR, 4, Instance.Phase.STARTING, 0));
    pool.add(instance("r2", InstanceKind.REGULAR, 4, Instance.Phase.DRAINING, 0));
    assertNull(pool.freeSlot());
    assertEquals(1, pool.regularCount(), "a draining instance no longer counts");
  }

  @Test
  void aFinishedCallIsCountedOutOnceAndLostCallsAreHandedOver() {
    InstancePool pool = new InstancePool();
    Instance r1 = instance("r1", InstanceKind.REGULAR, 4, Instance.Phase.READY, 0);
    pool.add(r1);
    pool.dispatched(r1, 7, call());
    pool.dispatched(r1, 8, call());
    assertSame(r1, pool.finished("r1", 7));
    assertNull(pool.finished("r1", 7), "counted out already");
    assertNull(pool.finished("nope", 8));
    assertEquals(1, pool.inFlight());
    assertEquals(1, pool.takeCalls(r1).size());
    assertEquals(0, pool.inFlight());
    assertNull(pool.finished("r1", 8), "a lost call's late answer is not counted twice");
  }

  @Test
  void aWaveletOfAnEarlierVersionEndsTheOldestCall() {
    InstancePool pool = new InstancePool();
    Instance r1 = instance("r1", InstanceKind.REGULAR, 4, Instance.Phase.READY, 0);
    pool.add(r1);
    pool.dispatched(r1, 3, call());
    pool.dispatched(r1, 4, call());
    assertSame(r1, pool.finished("r1", 0));
    assertEquals(List.of(4L), List.copyOf(r1.calls().keySet()));
  }

  @Test
  void removingAnInstanceStopsCountingItsCalls() {
    InstancePool pool = new InstancePool();
    Instance r1 = instance("r1", InstanceKind.REGULAR, 4, Instance.Phase.READY, 0);
    pool.add(r1);
    pool.dispatched(r1, 1, call());
    pool.remove(r1);
    assertEquals(0, pool.inFlight());
    assertTrue(pool.isEmpty());
  }

  @Test
  void scaleDownTakesInstancesNotYetServingFirstThenTheLongestIdleAndNeverABusyOne() {
    InstancePool pool = new InstancePool();
    Instance busy = instance("busy", InstanceKind.REGULAR, 1, Instance.Phase.READY, 0);
    Instance idleLong = instance("idle-long", InstanceKind.REGULAR, 1, Instance.Phase.READY, 100);
    Instance idleShort = instance("idle-short", InstanceKind.REGULAR, 1, Instance.Phase.READY, 900);
    Instance starting = instance("starting", InstanceKind.REGULAR, 1, Instance.Phase.STARTING, 950);
    Instance emergency = instance("e", InstanceKind.EMERGENCY, 1, Instance.Phase.READY, 0);
    for (Instance i : List.of(busy, idleLong, idleShort, starting, emergency)) {
      pool.add(i);
    }
    pool.dispatched(busy, 1, call());
    assertEquals(List.of(starting, idleLong), pool.scaleDownChoice(2));
    assertEquals(List.of(starting, idleLong, idleShort), pool.scaleDownChoice(10));
    assertTrue(pool.scaleDownChoice(0).isEmpty());
  }

  @Test
  void emergencySlotsComingCountStartingEmergencyInstancesOnly() {
    InstancePool pool = new InstancePool();
    pool.add(instance("e1", InstanceKind.EMERGENCY, 1, Instance.Phase.STARTING, 0));
    pool.add(instance("e2", InstanceKind.EMERGENCY, 1, Instance.Phase.READY, 0));
    pool.add(instance("r1", InstanceKind.REGULAR, 8, Instance.Phase.STARTING, 0));
    assertEquals(1, pool.emergencySlotsComing());
    assertEquals(2, pool.emergencyCount());
    assertFalse(pool.anyReady(InstanceKind.REGULAR));
    assertTrue(pool.anyReady(InstanceKind.EMERGENCY));
  }
}
