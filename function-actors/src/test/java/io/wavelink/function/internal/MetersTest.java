package io.wavelink.function.internal;

import static io.wavelink.function.internal.InstancePoolTest.instance;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.wavelink.node.InstanceKind;
import org.junit.jupiter.api.Test;

class MetersTest {

  /** A deployed busy function of {@code memoryMb} and {@code concurrency}, in {@code mode}, no delay. */
  static Definition definition(String name, int memoryMb, int concurrency, String mode) {
    return new Definition(
        name,
        new io.wavelink.function.FunctionSpec(name, "wasm", io.wavelink.node.ModuleRef.inline(new byte[] {0}), memoryMb, 10_000, concurrency, 0, 10,
            java.util.Map.of(), mode, 0, java.util.Map.of()),
        1, mode, 0);
  }

  @Test
  void loadIsTheTimeWeightedAverageSinceTheLastSample() {
    LoadMeter load = new LoadMeter(0);
    load.changed(250, 2);
    assertEquals(5.0, load.sample(1000, 6), 1e-9);
    assertEquals(6.0, load.sample(2000, 6), 1e-9);
    assertEquals(3.0, load.sample(2000, 3), 1e-9, "no time passed: the level itself");
  }

  @Test
  void costCountsHeldTimeAndMemoryAndPeaks() {
    CostMeter cost = new CostMeter();
    InstancePool pool = new InstancePool();
    Instance r1 = instance("r1", InstanceKind.REGULAR, 2, Instance.Phase.STARTING, 0); // 128 MB
    Instance r2 = instance("r2", InstanceKind.REGULAR, 1, Instance.Phase.STARTING, 0); // 64 MB
    pool.add(r1);
    cost.hold(r1, pool, 1000);
    cost.hold(r1, pool, 1500); // held already: no change
    cost.hold(r2, pool, 2000); // not yet in the pool
    pool.add(r2);
    cost.release(r1, 3000);
    CostMeter.Snapshot s = cost.snapshot(pool, 4000);
    assertEquals(2000 + 2000, s.heldMs(InstanceKind.REGULAR));
    assertEquals(2000 * 128 + 2000 * 64, s.heldMbMs(InstanceKind.REGULAR));
    assertEquals(2, s.peak(InstanceKind.REGULAR));
    assertEquals(0, s.heldMs(InstanceKind.EMERGENCY));
  }

  @Test
  void theTickTargetCoversWhatWaits() {
    assertEquals(2, RegularTrack.tickTarget(2, 5, 0, 1, 10), "nothing queued: the decision");
    assertEquals(7, RegularTrack.tickTarget(2, 5, 2, 1, 10));
    assertEquals(4, RegularTrack.tickTarget(2, 5, 2, 2, 10), "ceil(7 / 2)");
    assertEquals(6, RegularTrack.tickTarget(2, 5, 2, 1, 6), "within maxScale");
  }
}
