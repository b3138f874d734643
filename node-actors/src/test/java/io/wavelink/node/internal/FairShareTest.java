package io.wavelink.node.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.junit.jupiter.api.Test;

class FairShareTest {

  @Test
  void waterFillingGivesSmallDemandsInFullAndSplitsTheRest() {
    assertEquals(Map.of("a", 100, "b", 450, "c", 450), FairShare.maxMin(Map.of("a", 100, "b", 600, "c", 800), 1000));
  }

  @Test
  void anUncontendedNodeGivesEveryDemand() {
    assertEquals(Map.of("a", 100, "b", 200), FairShare.maxMin(Map.of("a", 100, "b", 200), 1000));
  }

  @Test
  void equalDemandsOverCapacityShareEqually() {
    assertEquals(Map.of("a", 256, "b", 256, "c", 256, "d", 256),
        FairShare.maxMin(Map.of("a", 1024, "b", 512, "c", 300, "d", 2000), 1024));
  }

  @Test
  void noFunctionNoShares() {
    assertEquals(Map.of(), FairShare.maxMin(Map.of(), 1024));
  }
}
