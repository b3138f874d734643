package io.wavelink.loadgen.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wavelink.loadgen.Workload;
import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.Test;

class FunctionNamesTest {

  @Test
  void namesAreModeAndHash() {
    String n = FunctionNames.name("dual", "run1", "owner/app/fn");
    assertTrue(n.matches("lg-dual-[0-9a-f]{12}"), n);
    assertEquals(n, FunctionNames.name("dual", "run1", "owner/app/fn"), "stable within a run");
    assertNotEquals(n, FunctionNames.name("sync", "run1", "owner/app/fn"), "each mode its own");
    assertNotEquals(n, FunctionNames.name("dual", "run2", "owner/app/fn"), "each run its own");
  }

  @Test
  void sanitizedToWaveLinksRules() {
    assertEquals("lg-a-b-c", FunctionNames.sanitize("LG_A..B--C"));
    assertEquals("abc", FunctionNames.sanitize("--abc--"));
    assertEquals("lg", FunctionNames.sanitize("___"));
    String longName = FunctionNames.sanitize("x".repeat(62) + "-yyyy");
    assertEquals(62, longName.length(), "cut at 63 and no trailing '-'");
    assertTrue(FunctionNames.sanitize("a".repeat(100)).length() <= 63);
  }

  @Test
  void everyFunctionOfAWorkloadGetsADistinctName() {
    List<Workload.FunctionProfile> fs = new java.util.ArrayList<>();
    for (int i = 0; i < 500; i++) {
      fs.add(new Workload.FunctionProfile("f" + i, 32, 10));
    }
    List<String> names = Driver.names(new Workload("t", fs, List.of()), "async", "r");
    assertEquals(500, new HashSet<>(names).size());
    assertTrue(names.stream().allMatch(n -> n.matches("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")));
  }
}
