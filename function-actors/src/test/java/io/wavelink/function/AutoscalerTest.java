package io.wavelink.function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The autoscaler's decisions on recorded windows, with a fake clock (milliseconds). */
class AutoscalerTest {

  private static final Autoscaler.Settings KNATIVE =
      new Autoscaler.Settings(
          0.7,
          Duration.ofSeconds(60),
          Duration.ofSeconds(6),
          2.0,
          1000.0,
          2.0,
          Duration.ZERO,
          Duration.ofSeconds(30));

  /** Records one sample per second from {@code fromSec} to {@code toSec} and decides each second. */
  private static final class Run {
    Autoscaler.State state = Autoscaler.State.initial(0);
    Autoscaler.Decision last;
    int ready;
    final Autoscaler.Settings settings;
    final int minScale;
    final int maxScale;

    Run(Autoscaler.Settings settings, int ready, int minScale, int maxScale) {
      this.settings = settings;
      this.ready = ready;
      this.minScale = minScale;
      this.maxScale = maxScale;
    }

    Run observe(int fromSec, int toSec, double concurrency) {
      for (int t = fromSec; t <= toSec; t++) {
        long now = t * 1000L;
        state = Autoscaler.record(settings, state, now, concurrency);
        last = Autoscaler.decide(settings, state, now, ready, 1, minScale, maxScale);
        state = last.next();
        ready = last.desired(); // instances arrive at once in this model
      }
      return this;
    }
  }

  @Test
  void steadyLoadScalesToTheStableAverageOverTheTarget() {
    Run run = new Run(KNATIVE, 1, 0, 100).observe(1, 120, 7.0);
    assertEquals(10, run.last.desired()); // ceil(7 / 0.7)
    assertFalse(run.last.panic());
  }

  @Test
  void aBurstEntersPanicAndPanicNeverScalesDown() {
    Run run = new Run(KNATIVE, 1, 0, 100).observe(1, 60, 0.5);
    assertEquals(1, run.last.desired());
    run.observe(61, 61, 20.0);
    assertTrue(run.last.panic(), "a 6 s average of 20/6*... over 1 ready instance passes 200%");
    int first = run.last.desired();
    assertTrue(first >= 2);
    run.observe(62, 66, 20.0);
    assertEquals(29, run.last.desired()); // ceil(20 / 0.7) once the panic window is full
    run.observe(67, 70, 1.0); // the burst ends: panic holds the scale
    assertTrue(run.last.panic());
    assertEquals(29, run.last.desired());
  }

  @Test
  void panicEndsAfterAStableWindowWithoutTheCondition() {
    Run run = new Run(KNATIVE, 1, 0, 100).observe(1, 10, 20.0);
    assertTrue(run.last.panic());
    run.observe(11, 75, 1.0);
    assertFalse(run.last.panic());
    assertTrue(run.last.desired() < 29);
  }

  @Test
  void scaleUpIsLimitedByTheMaximumRate() {
    Autoscaler.Settings slow =
        new Autoscaler.Settings(1.0, Duration.ofSeconds(60), Duration.ofSeconds(6), 2.0, 2.0, 2.0, Duration.ZERO, Duration.ofSeconds(30));
    Autoscaler.State state = Autoscaler.record(slow, Autoscaler.State.initial(0), 1000, 100.0);
    Autoscaler.Decision d = Autoscaler.decide(slow, state, 1000, 3, 1, 0, 1000);
    assertEquals(6, d.desired()); // at most 2x the 3 ready instances
  }

  @Test
  void scaleDownIsLimitedByTheMaximumRateAndHeldForTheDelay() {
    Autoscaler.Settings delayed =
        new Autoscaler.Settings(1.0, Duration.ofSeconds(60), Duration.ofSeconds(6), 2.0, 1000.0, 2.0, Duration.ofSeconds(10), Duration.ofSeconds(30));
    Autoscaler.State state = Autoscaler.record(delayed, Autoscaler.State.initial(0), 1000, 10.0);
    Autoscaler.Decision d = Autoscaler.decide(delayed, state, 1000, 10, 1, 0, 1000);
    assertEquals(10, d.desired());
    // demand vanishes, but the stable window still averages 10 and 0: 5, and the delay holds 10
    state = Autoscaler.record(delayed, d.next(), 2000, 0.0);
    d = Autoscaler.decide(delayed, state, 2000, 10, 1, 0, 1000);
    assertEquals(10, d.desired());
    // once the delay has passed, the rate limit allows halving at most
    state = d.next();
    for (long t = 3000; t <= 80_000; t += 1000) {
      state = Autoscaler.record(delayed, state, t, 0.0);
      d = Autoscaler.decide(delayed, state, t, 10, 1, 0, 1000);
      state = d.next();
    }
    assertEquals(5, d.desired());
  }

  @Test
  void scalesToZeroOnlyAfterTheGracePeriod() {
    Run run = new Run(KNATIVE, 1, 0, 100).observe(1, 5, 1.0);
    run.observe(6, 64, 0.0);
    assertEquals(1, run.last.desired(), "still within the 30 s grace after the stable window emptied");
    run.observe(65, 100, 0.0);
    assertEquals(0, run.last.desired());
  }

  @Test
  void minAndMaxScaleBoundEveryDecision() {
    assertEquals(2, new Run(KNATIVE, 2, 2, 5).observe(1, 200, 0.0).last.desired());
    assertEquals(5, new Run(KNATIVE, 1, 0, 5).observe(1, 100, 50.0).last.desired());
  }
}
