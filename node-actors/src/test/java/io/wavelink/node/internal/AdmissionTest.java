package io.wavelink.node.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.wavelink.node.InstanceKind;
import java.util.List;
import org.junit.jupiter.api.Test;

class AdmissionTest {

  private static Admission.Holding idle(String id, String f, InstanceKind kind, int mb, long idleSince) {
    return new Admission.Holding(id, f, kind, mb, true, false, idleSince);
  }

  private static Admission.Holding busy(String id, String f, int mb) {
    return new Admission.Holding(id, f, InstanceKind.REGULAR, mb, false, false, 0);
  }

  private static Admission.Request want(String f, InstanceKind kind, int mb, boolean callersWait) {
    return new Admission.Request(f + "-new", f, kind, mb, callersWait ? Admission.Scope.ANY : Admission.Scope.NONE);
  }

  @Test
  void freeRoomIsTakenAtOnce() {
    assertInstanceOf(Admission.Admit.class,
        Admission.decide(1024, List.of(busy("a", "g", 512)), List.of(), want("f", InstanceKind.REGULAR, 256, false)));
  }

  @Test
  void anInstanceLargerThanTheNodeIsRefused() {
    assertInstanceOf(Admission.Refuse.class,
        Admission.decide(1024, List.of(), List.of(), want("f", InstanceKind.EMERGENCY, 2048, true)));
  }

  @Test
  void scalingAheadOfDemandNeverTakesMemoryFromOthers() {
    assertInstanceOf(Admission.Refuse.class,
        Admission.decide(512, List.of(idle("a", "g", InstanceKind.REGULAR, 512, 0)), List.of(), want("f", InstanceKind.REGULAR, 256, false)));
  }

  @Test
  void theWorkedExampleReclaimsTheIdleEmergencyInstanceFirst() {
    List<Admission.Holding> holdings = List.of(
        idle("g-e", "g", InstanceKind.EMERGENCY, 256, 500),
        idle("h-r1", "h", InstanceKind.REGULAR, 256, 100),
        idle("h-r2", "h", InstanceKind.REGULAR, 256, 200),
        busy("h-r3", "h", 256));
    Admission.Decision d = Admission.decide(1024, holdings, List.of(), want("f", InstanceKind.EMERGENCY, 256, true));
    Admission.Reclaim reclaim = assertInstanceOf(Admission.Reclaim.class, d);
    assertEquals(List.of("g-e"), reclaim.victims().stream().map(Eviction.Candidate::instanceId).toList());
  }

  @Test
  void memoryAlreadyOnItsWayBackIsNotReclaimedTwice() {
    List<Admission.Holding> holdings = List.of(
        new Admission.Holding("g-r", "g", InstanceKind.REGULAR, 256, false, true, 0),
        idle("h-r", "h", InstanceKind.REGULAR, 256, 0));
    assertInstanceOf(Admission.Wait.class,
        Admission.decide(512, holdings, List.of(), want("f", InstanceKind.EMERGENCY, 256, true)));
    // but a second request, behind the first, needs memory of its own
    Admission.Decision second =
        Admission.decide(512, holdings, List.of(want("f", InstanceKind.EMERGENCY, 256, true)), want("k", InstanceKind.EMERGENCY, 256, true));
    assertEquals(List.of("h-r"),
        assertInstanceOf(Admission.Reclaim.class, second).victims().stream().map(Eviction.Candidate::instanceId).toList());
  }

  @Test
  void aFunctionAtItsFairShareWaitsBehindOthers() {
    // g holds 768 of 1024 MB, all busy; f waits for 256. g asks for more: its share is 512 (f's
    // demand is 256, g's 1024 -> shares f 256... g 768): it may not jump ahead of f
    List<Admission.Holding> holdings = List.of(busy("g1", "g", 256), busy("g2", "g", 256), busy("g3", "g", 256));
    Admission.Decision d =
        Admission.decide(1024, holdings, List.of(want("f", InstanceKind.EMERGENCY, 256, true)), want("g", InstanceKind.EMERGENCY, 256, true));
    assertInstanceOf(Admission.Wait.class, d);
  }

  @Test
  void theRegularTrackAheadOfDemandRetiresIdleEmergencyInstancesOnly() {
    List<Admission.Holding> holdings = List.of(
        idle("h-r", "h", InstanceKind.REGULAR, 256, 0),
        idle("g-e", "g", InstanceKind.EMERGENCY, 256, 50));
    Admission.Request ahead = new Admission.Request("f-r", "f", InstanceKind.REGULAR, 256, Admission.Scope.EMERGENCY);
    Admission.Reclaim r = assertInstanceOf(Admission.Reclaim.class, Admission.decide(512, holdings, List.of(), ahead));
    assertEquals(List.of("g-e"), r.victims().stream().map(Eviction.Candidate::instanceId).toList());
    assertInstanceOf(Admission.Refuse.class,
        Admission.decide(512, List.of(holdings.get(0), busy("g-e", "g", 256)), List.of(), ahead),
        "no idle emergency instance: it does not wait");
  }

  @Test
  void aRegularInstanceTakesThePlaceOfItsFunctionsOwnIdleEmergencyInstances() {
    // f's burst filled the node with its emergency instances; its regular instance swaps for two
    // of them, so f holds no more than before, whatever its share
    List<Admission.Holding> holdings = List.of(
        idle("f-e1", "f", InstanceKind.EMERGENCY, 128, 10),
        idle("f-e2", "f", InstanceKind.EMERGENCY, 128, 20),
        idle("g-e", "g", InstanceKind.EMERGENCY, 128, 0),
        busy("g-r", "g", 128));
    Admission.Request regular = new Admission.Request("f-r", "f", InstanceKind.REGULAR, 256, Admission.Scope.EMERGENCY);
    Admission.Reclaim r = assertInstanceOf(Admission.Reclaim.class, Admission.decide(512, holdings, List.of(), regular));
    assertEquals(List.of("f-e1", "f-e2"), r.victims().stream().map(Eviction.Candidate::instanceId).toList());
  }

  @Test
  void withNothingIdleARequestThatMayReclaimWaits() {
    assertInstanceOf(Admission.Wait.class,
        Admission.decide(512, List.of(busy("a", "g", 512)), List.of(), want("f", InstanceKind.EMERGENCY, 256, true)));
  }

  @Test
  void aFunctionOverItsShareMayNotReclaimButTakesFreeMemoryWhenNobodyElseWaits() {
    List<Admission.Holding> holdings = List.of(busy("g1", "g", 512), idle("h1", "h", InstanceKind.REGULAR, 256, 0));
    // g asks for 256 more on a 1024 MB node with 256 free: nobody waits, so it is admitted
    assertInstanceOf(Admission.Admit.class,
        Admission.decide(1024, holdings, List.of(), want("g", InstanceKind.EMERGENCY, 256, true)));
    // g asks for 512 more: demands g 1024, h 256 -> shares g 768, h 256: 1024 > 768, no reclaiming
    // for g; but h, holding nothing else, could still get its first instance back
    assertInstanceOf(Admission.Wait.class,
        Admission.decide(1024, holdings, List.of(), want("g", InstanceKind.EMERGENCY, 512, true)));
  }
}
