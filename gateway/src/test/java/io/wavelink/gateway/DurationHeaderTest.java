package io.wavelink.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class DurationHeaderTest {

  @Test
  void microsecondsAreMillisecondsWithThreeDecimals() {
    assertEquals("0.000", HttpApi.millis(0));
    assertEquals("0.007", HttpApi.millis(7));
    assertEquals("0.042", HttpApi.millis(42));
    assertEquals("1.234", HttpApi.millis(1234));
    assertEquals("12.300", HttpApi.millis(12300));
    assertEquals("300000.001", HttpApi.millis(300_000_001));
    assertEquals(String.format(java.util.Locale.ROOT, "%.3f", 987_654 / 1000.0), HttpApi.millis(987_654));
  }
}
