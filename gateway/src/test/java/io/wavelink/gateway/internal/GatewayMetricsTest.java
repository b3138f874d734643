package io.wavelink.gateway.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.wavelink.node.InvocationReply;
import org.junit.jupiter.api.Test;

class GatewayMetricsTest {

  @Test
  void instrumentsAreKeptPerFunctionAndUnknownNamesShareOne() {
    GatewayMetrics metrics = new GatewayMetrics();
    for (int i = 0; i < 3; i++) {
      metrics.answered("echo", "regular", InvocationReply.Status.OK, 1_000_000);
      metrics.answered("echo", "emergency", InvocationReply.Status.OK, 2_000_000);
      metrics.answered("echo", "none", InvocationReply.Status.OVERLOADED, 10_000);
    }
    assertEquals(1, metrics.functions());
    for (int i = 0; i < 100; i++) {
      metrics.answered("probe-" + i, "none", InvocationReply.Status.NOT_FOUND, 10_000);
    }
    assertEquals(2, metrics.functions(), "a hundred unknown names: one series, " + GatewayMetrics.NOT_DEPLOYED);
  }
}
