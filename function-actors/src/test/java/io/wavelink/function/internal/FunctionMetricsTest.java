package io.wavelink.function.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wavelink.node.InstanceKind;
import kamon.Kamon;
import kamon.metric.MeasurementUnit;
import kamon.status.Status;
import org.junit.jupiter.api.Test;

class FunctionMetricsTest {

  /** Kamon instruments (series) tagged with {@code function}. */
  private static int seriesOf(String function) {
    int n = 0;
    for (Status.Metric metric : scala.jdk.javaapi.CollectionConverters.asJava(Kamon.status().metricRegistry().metrics())) {
      for (Status.Instrument instrument : scala.jdk.javaapi.CollectionConverters.asJava(metric.instruments())) {
        if (instrument.tags().toString().contains("function=" + function)) {
          n++;
        }
      }
    }
    return n;
  }

  /**
   * What Kamon's periodic tick does (every 10 s in a member): a snapshot of each metric, which is
   * when removed instruments leave.
   */
  private static void tick() throws Exception {
    for (Object metric : java.util.List.of(
        Kamon.counter("wavelink.cold-starts"), Kamon.histogram("wavelink.queue-wait", MeasurementUnit.time().nanoseconds()),
        Kamon.gauge("wavelink.instances"), Kamon.counter("wavelink.emergency-spawns"),
        Kamon.counter("wavelink.emergency-retirements"), Kamon.counter("wavelink.evictions"),
        Kamon.counter("wavelink.invocations-refused"))) {
      metric.getClass().getMethod("snapshot", boolean.class).invoke(metric, true);
    }
  }

  @Test
  void aStoppedFunctionsSeriesLeaveKamonAndComeBackWithIt() throws Exception {
    FunctionMetrics metrics = new FunctionMetrics("metrics-close-test");
    assertEquals(0, seriesOf("metrics-close-test"), "nothing before first use");
    metrics.instances(0, 0);
    assertEquals(0, seriesOf("metrics-close-test"), "no instances yet: a deployed function never called has no series");
    metrics.instances(1, 0);
    metrics.coldStart(InstanceKind.REGULAR);
    assertEquals(12, seriesOf("metrics-close-test"), "every instrument registered on first use, and no other");
    metrics.close();
    tick();
    assertEquals(0, seriesOf("metrics-close-test"), "an idle, passivated function costs no series");
    metrics.instances(0, 1);
    assertEquals(12, seriesOf("metrics-close-test"), "its next incarnation registers them again");
    metrics.close();
    metrics.close(); // twice is harmless
    tick();
    assertEquals(0, seriesOf("metrics-close-test"));
  }
}
