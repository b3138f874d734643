package io.wavelink.loadgen.internal;

import static io.wavelink.loadgen.TestTraces.options;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.wavelink.loadgen.LoadgenOptions;
import io.wavelink.loadgen.Workload;
import io.wavelink.node.sandbox.ExampleFunctions;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What the driver deploys. */
class DriverTest {

  @Test
  void theTraceFunctionsAreNodeActorsExamples() {
    assertArrayEquals(ExampleFunctions.load("busy"), Driver.module(LoadgenOptions.Work.SPIN));
    assertArrayEquals(ExampleFunctions.load("sleep"), Driver.module(LoadgenOptions.Work.SLEEP));
  }

  @Test
  void deploySpec() {
    Workload.FunctionProfile f = new Workload.FunctionProfile("t", 128, 2_000);
    Map<String, Object> spec = Driver.spec("AAAA", f, options("synthetic:azure", "--regular-track-delay", "1500", "--max-scale", "7"), "sync");
    assertEquals("wasm", spec.get("runtime"));
    assertEquals("AAAA", spec.get("code"));
    assertEquals(128, spec.get("memoryMb"));
    assertEquals(30_000L, spec.get("timeoutMs"));
    assertEquals(1, spec.get("concurrency"));
    assertEquals(0, spec.get("minScale"));
    assertEquals(7, spec.get("maxScale"));
    assertEquals("sync", spec.get("controlPlaneMode"));
    assertEquals(1500L, spec.get("regularTrackDelayMs"));
    assertFalse(Driver.spec("AAAA", f, options("synthetic:azure"), "dual").containsKey("regularTrackDelayMs"),
        "without the option the cluster's default applies");
  }

  @Test
  void timeoutsLeaveRoomForQueueingAndTheRegularTrack() {
    assertEquals(30_000, Driver.timeoutFor(100, 0));
    assertEquals(2 * 20_000 + 1_500 + 10_000, Driver.timeoutFor(20_000, 1_500));
    assertEquals(300_000, Driver.timeoutFor(600_000, 0), "what the gateway waits for, at most");
  }
}
