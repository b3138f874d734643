package io.wavelink.function.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wavelink.node.InstanceKind;
import io.wavelink.node.NodeEntity;
import io.wavelink.node.Placement;
import io.wavelink.node.Wavelet;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class RegularTrackTest {

  private final InstancePool pool = new InstancePool();
  private final FakeOutbox out = new FakeOutbox();
  private final RegularTrack track =
      new RegularTrack(pool, new CostMeter(), out, Placement.byName("most-free"), new SplittableRandom(1), 900);
  private final Definition def = MetersTest.definition("f", 128, 2, "dual");
  private static final RegularTrack.Demand AHEAD = new RegularTrack.Demand(false, 5000);
  private static final RegularTrack.Demand WAITING = new RegularTrack.Demand(true, 3000);

  private Instance only() {
    assertEquals(1, pool.all().size());
    return pool.all().iterator().next();
  }

  @Test
  void anInstanceAheadOfDemandOnlyRetiresIdleEmergencyInstancesForRoom() {
    out.nodes(FakeOutbox.node("a", 1024, 0, 0));
    assertTrue(track.scale(def, 1, AHEAD).isEmpty());
    Wavelet.Reserve reserve = out.take(Wavelet.Reserve.class).get(0);
    assertEquals(256, reserve.reservedMb(), "memory x concurrency");
    assertEquals(900, reserve.waitMs());
    assertFalse(reserve.callersWaiting());
    assertEquals(Instance.Phase.RESERVING, only().phase());
    assertTrue(out.journal.isEmpty(), "nothing is written before a node has room");
  }

  @Test
  void anInstanceThatCallersWaitForMayReclaimAnythingIdle() {
    out.nodes(FakeOutbox.node("a", 1024, 1024, 512));
    track.scale(def, 1, WAITING);
    Wavelet.Reserve reserve = out.take(Wavelet.Reserve.class).get(0);
    assertEquals(3000, reserve.waitMs());
    assertTrue(reserve.callersWaiting());
  }

  @Test
  void theRegularTrackDelayComesBeforeTheReservation() {
    Definition delayed = new Definition("f", def.spec(), 1, "dual", 1500);
    out.nodes(FakeOutbox.node("a", 1024, 0, 0));
    track.scale(delayed, 1, AHEAD);
    assertTrue(out.take(Wavelet.Reserve.class).isEmpty());
    assertEquals(List.of(only().id() + "@1500"), out.placeAfter);
    out.nowMs = 1500;
    track.placeNow(delayed, only(), AHEAD);
    assertEquals(1, out.take(Wavelet.Reserve.class).size());
  }

  @Test
  void aReservedInstanceIsWrittenWithItsNodeInOneWriteThenPlaced() {
    out.nodes(FakeOutbox.node("a", 1024, 0, 0));
    track.scale(def, 1, AHEAD);
    Instance inst = only();
    track.reserved(new Wavelet.Reserved(inst.id(), "a", null));
    assertEquals(List.of(new Outbox.Add(inst.id(), "a")), out.journal);
    assertEquals(Instance.Phase.PERSISTING, inst.phase());
    out.sent.clear();
    track.persisted(def, inst.id(), "a", true);
    assertTrue(inst.journaled());
    assertEquals(Instance.Phase.STARTING, inst.phase());
    NodeEntity.Place place = out.take(NodeEntity.Place.class).get(0);
    assertEquals(inst.id(), place.start().instanceId());
    assertEquals(0, place.start().waitMs(), "the reservation covers it");
  }

  @Test
  void aWriteTheJournalDidNotConfirmGivesTheReservationBackAndForgetsTheInstance() {
    out.nodes(FakeOutbox.node("a", 1024, 0, 0));
    track.scale(def, 1, AHEAD);
    Instance inst = only();
    track.reserved(new Wavelet.Reserved(inst.id(), "a", null));
    out.sent.clear();
    track.persisted(def, inst.id(), "a", false);
    assertEquals(1, out.take(Wavelet.StopInstance.class).size());
    assertTrue(pool.isEmpty());
    assertTrue(track.unsettled(), "the write may have landed: the next tick reconciles");
    assertTrue(track.reconcileDue(0, 60_000));
    // it had landed after all: the journal keeps it, the function does not: removed
    assertEquals(1, track.reconcile(java.util.Map.of(inst.id(), "a")));
    assertEquals(new Outbox.Remove(inst.id()), out.journal.get(out.journal.size() - 1));
    assertFalse(track.unsettled());
  }

  @Test
  void reconcilingRemovesWhatTheJournalKeepsAndTheFunctionLetGoOfOnly() {
    Instance kept = track.restored(def, "f-r-kept", "a");
    assertEquals(1, track.reconcile(java.util.Map.of("f-r-kept", "a", "f-r-gone", "b")));
    assertEquals(List.of(new Outbox.Remove("f-r-gone")), out.journal);
    assertTrue(kept.journaled());
    track.reconcile(java.util.Map.of());
    assertFalse(kept.journaled(), "the journal lost it: no removal will be written for it");
    assertTrue(track.reconcileDue(0, 60_000), "the first time");
    assertFalse(track.reconcileDue(1000, 60_000), "at most every interval when nothing failed");
    assertTrue(track.reconcileDue(61_000, 60_000));
  }

  @Test
  void aRefusedReservationTriesTheNextNodeWithoutReleasingAnything() {
    out.nodes(FakeOutbox.node("a", 1024, 0, 0), FakeOutbox.node("b", 1024, 512, 0));
    track.scale(def, 1, AHEAD);
    Instance inst = only();
    assertEquals("a", inst.nodeId());
    out.sent.clear();
    assertTrue(track.failed(def, inst, new Wavelet.InstanceFailed(inst.id(), "a", true, "full"), AHEAD));
    assertTrue(out.take(NodeEntity.Release.class).isEmpty(), "a reservation is not a placement");
    assertEquals("b", inst.nodeId());
    assertEquals(Instance.Phase.RESERVING, inst.phase());
  }

  @Test
  void aStartThatFailedReleasesThePlacement() {
    out.nodes(FakeOutbox.node("a", 1024, 0, 0));
    Instance inst = track.restored(def, "f-r-1", "a");
    track.place(def, inst, AHEAD);
    assertEquals("f-r-1", out.take(NodeEntity.Place.class).get(0).start().instanceId(), "restored: straight to its node");
    assertFalse(track.failed(def, inst, new Wavelet.InstanceFailed("f-r-1", "a", false, "bad module"), AHEAD));
    assertEquals(1, out.sent.stream().filter(s -> s.message() instanceof NodeEntity.Release).count());
  }

  @Test
  void aStoppedInstanceLeavesTheJournalAndItsNodeAndAnUnconfirmedRemovalIsReconciled() {
    Instance inst = track.restored(def, "f-r-1", "a");
    pool.remove(inst);
    track.stopped(inst);
    assertEquals(List.of(new Outbox.Remove("f-r-1")), out.journal);
    assertEquals(1, out.take(NodeEntity.Release.class).size());
    track.removed("f-r-1", false);
    assertTrue(track.unsettled());
    assertTrue(track.reconcileDue(0, 60_000), "a failed write: reconcile at the next tick");
    assertEquals(1, track.reconcile(java.util.Map.of("f-r-1", "a")));
    assertEquals(2, out.journal.size());
  }

  @Test
  void scalingDownReturnsIdleInstancesOnly() {
    out.nodes(FakeOutbox.node("a", 4096, 0, 0));
    track.scale(def, 3, AHEAD);
    List<Instance> surplus = track.scale(def, 1, AHEAD);
    assertEquals(2, surplus.size());
    assertEquals(1, track.desired());
    assertTrue(surplus.stream().allMatch(i -> i.kind() == InstanceKind.REGULAR && i.inFlight() == 0));
  }
}
