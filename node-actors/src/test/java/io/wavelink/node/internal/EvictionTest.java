package io.wavelink.node.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.wavelink.node.InstanceKind;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EvictionTest {

  private static Eviction.Candidate c(String id, String f, InstanceKind kind, int mb, long idleSince) {
    return new Eviction.Candidate(id, f, kind, mb, idleSince);
  }

  private static List<String> ids(List<Eviction.Candidate> cs) {
    return cs.stream().map(Eviction.Candidate::instanceId).toList();
  }

  @Test
  void emergencyFirstThenOverShareThenLeastRecentlyUsed() {
    List<Eviction.Candidate> idle = List.of(
        c("r1", "h", InstanceKind.REGULAR, 128, 100),   // h within its share, idle longest
        c("r2", "k", InstanceKind.REGULAR, 128, 900),   // k over its share
        c("e1", "g", InstanceKind.EMERGENCY, 64, 500));
    Map<String, Integer> holding = Map.of("h", 128, "k", 512, "g", 64);
    Map<String, Integer> shares = Map.of("h", 300, "k", 300, "g", 300);
    assertEquals(List.of("e1", "r2"), ids(Eviction.choose(idle, 100, holding, shares, "f", InstanceKind.EMERGENCY)));
    assertEquals(List.of("e1", "r2", "r1"), ids(Eviction.choose(idle, 1000, holding, shares, "f", InstanceKind.EMERGENCY)));
  }

  @Test
  void withinAGroupTheLeastRecentlyUsedGoesFirst() {
    List<Eviction.Candidate> idle = List.of(
        c("new", "a", InstanceKind.REGULAR, 256, 900),
        c("old", "b", InstanceKind.REGULAR, 256, 100),
        c("mid", "c", InstanceKind.REGULAR, 256, 500));
    assertEquals(List.of("old"), ids(Eviction.choose(idle, 256, Map.of(), Map.of(), "f", InstanceKind.EMERGENCY)));
    assertEquals(List.of("old", "mid"), ids(Eviction.choose(idle, 257, Map.of(), Map.of(), "f", InstanceKind.EMERGENCY)));
  }

  @Test
  void theRequesterKeepsItsOwnInstancesButARegularOneMayRetireItsEmergencyInstances() {
    List<Eviction.Candidate> idle = List.of(
        c("own-e", "f", InstanceKind.EMERGENCY, 64, 0),
        c("own-r", "f", InstanceKind.REGULAR, 64, 0));
    assertEquals(List.of(), ids(Eviction.choose(idle, 64, Map.of(), Map.of(), "f", InstanceKind.EMERGENCY)));
    assertEquals(List.of("own-e"), ids(Eviction.choose(idle, 64, Map.of(), Map.of(), "f", InstanceKind.REGULAR)));
  }

  @Test
  void fewerThanNeededWhenThereAreNotEnough() {
    List<Eviction.Candidate> idle = List.of(c("a", "g", InstanceKind.REGULAR, 64, 0));
    assertEquals(List.of("a"), ids(Eviction.choose(idle, 256, Map.of(), Map.of(), "f", InstanceKind.REGULAR)));
  }
}
