package io.wavelink.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wavelink.function.Autoscaler;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The JMH states are the scenarios docs/benchmarks.md describes, and JMH found every benchmark. */
class DecisionBenchmarksTest {

  @Test
  void stableLoadDoesNotPanicAndKeepsTheReadyCount() {
    AutoscalerBenchmark b = new AutoscalerBenchmark();
    b.load = "stable";
    b.setUp();
    assertEquals(AutoscalerBenchmark.TICKS, b.state.samples().size());
    Autoscaler.Decision d = b.decide();
    assertFalse(d.panic());
    assertEquals(10, d.desired());
    assertEquals(AutoscalerBenchmark.TICKS, b.record().samples().size(), "the oldest sample falls out");
    assertFalse(b.tick().panic());
  }

  @Test
  void panicLoadPanicsAndScalesUp() {
    AutoscalerBenchmark b = new AutoscalerBenchmark();
    b.load = "panic";
    b.setUp();
    Autoscaler.Decision d = b.decide();
    assertTrue(d.panic());
    assertTrue(d.desired() > 2 * b.ready, "wanted " + d.desired());
    assertTrue(b.tick().panic());
  }

  @Test
  void placementFindsANodeAtEverySize() {
    for (int size : new int[] {10, 100, 1000}) {
      PlacementBenchmark b = new PlacementBenchmark();
      b.nodes = size;
      b.setUp();
      assertEquals(size, b.view.size());
      assertTrue(b.leastAllocatedOfTwo().isPresent());
      assertTrue(b.mostFree().isPresent());
    }
  }

  @Test
  void jmhGeneratedTheBenchmarkList() throws IOException {
    try (InputStream in = getClass().getResourceAsStream("/META-INF/BenchmarkList")) {
      String list = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      for (String method :
          new String[] {
            "AutoscalerBenchmark_record", "AutoscalerBenchmark_decide", "AutoscalerBenchmark_tick",
            "PlacementBenchmark_leastAllocatedOfTwo", "PlacementBenchmark_mostFree"
          }) {
        assertTrue(list.contains(method), method + " missing from " + list);
      }
    }
  }
}
