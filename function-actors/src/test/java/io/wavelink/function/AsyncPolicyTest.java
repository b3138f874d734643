package io.wavelink.function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wavelink.node.ModuleRef;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class AsyncPolicyTest {

  @Test
  void backoffGrowsWithJitterWithinItsBounds() {
    FunctionSpec.AsyncPolicy p = new FunctionSpec.AsyncPolicy(5, 4, 1000);
    Random random = new Random(42);
    for (int n = 1; n <= 8; n++) {
      long ceiling = Math.min(FunctionSpec.AsyncPolicy.MAX_BACKOFF_MS, 1000L << (n - 1));
      long min = Long.MAX_VALUE;
      long max = 0;
      for (int i = 0; i < 2000; i++) {
        long d = p.backoffBefore(n, random);
        assertTrue(d >= 500 && d <= ceiling, "retry " + n + ": " + d);
        min = Math.min(min, d);
        max = Math.max(max, d);
      }
      // jitter: the delays spread over the range, not one value
      assertTrue(max - min > (ceiling - 500) / 2, "retry " + n + " spread " + min + ".." + max);
    }
    assertTrue(p.backoffBefore(40, random) <= FunctionSpec.AsyncPolicy.MAX_BACKOFF_MS);
  }

  @Test
  void invalidPoliciesAndSchedulesAreExplained() {
    FunctionSpec.AsyncPolicy bad = new FunctionSpec.AsyncPolicy(-1, 0, 0,
        List.of(new FunctionSpec.Schedule("nope", "UTC", "", ""), new FunctionSpec.Schedule("* * * * *", "UTC", "", "later")));
    FunctionSpec spec = new FunctionSpec("f", FunctionSpec.WASM, ModuleRef.stored("ab".repeat(32), 10), 64, 1000, 1, 0, 1,
        null, null, -1, null, bad);
    List<String> problems = spec.problems();
    assertTrue(problems.stream().anyMatch(p -> p.startsWith("asyncRetries")), problems.toString());
    assertTrue(problems.stream().anyMatch(p -> p.startsWith("asyncConcurrency")), problems.toString());
    assertTrue(problems.stream().anyMatch(p -> p.startsWith("asyncBackoffMs")), problems.toString());
    assertTrue(problems.stream().anyMatch(p -> p.startsWith("schedules[0]")), problems.toString());
    assertTrue(problems.stream().anyMatch(p -> p.startsWith("schedules[1]: missed")), problems.toString());
    assertThrows(IllegalArgumentException.class,
        () -> new FunctionSpec.AsyncPolicy(1, 1, 1, java.util.Arrays.asList((FunctionSpec.Schedule) null)));
    // the defaults a schedule fills in
    FunctionSpec.Schedule s = new FunctionSpec.Schedule("* * * * *", null, null, null);
    assertEquals("UTC", s.timeZone());
    assertEquals("fire-once", s.missed());
    assertEquals("", s.input());
  }
}
