package io.wavelink.function.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class InvocationQueueTest {

  /** A waiting invocation whose input is {@code bytes} long and whose first byte names it. */
  private static InvocationQueue.Waiting w(String id, int bytes, long arrival, long deadline) {
    byte[] input = new byte[Math.max(bytes, 1)];
    input[0] = (byte) id.charAt(0);
    return new InvocationQueue.Waiting(bytes == 0 ? new byte[0] : input, null, arrival, deadline);
  }

  private static String id(InvocationQueue.Waiting w) {
    return w.input().length == 0 ? "" : String.valueOf((char) w.input()[0]);
  }

  @Test
  void boundedInCountAndInBytes() {
    InvocationQueue q = new InvocationQueue(2, 100);
    assertTrue(q.offer(w("a", 60, 0, 10)));
    assertFalse(q.offer(w("b", 50, 0, 10)), "60 + 50 bytes is over 100");
    assertTrue(q.offer(w("c", 40, 0, 10)));
    assertFalse(q.offer(w("d", 0, 0, 10)), "two already wait");
    assertEquals(100, q.bytes());
    assertEquals("a", id(q.poll()));
    assertEquals(40, q.bytes());
  }

  @Test
  void expiresThoseWhoseDeadlinePassedInAnyOrder() {
    InvocationQueue q = new InvocationQueue(10, 1000);
    q.offer(w("late", 1, 0, 500));
    q.offer(w("early", 2, 10, 100));
    q.offer(w("later", 3, 20, 900));
    List<InvocationQueue.Waiting> expired = q.expire(500);
    assertEquals(List.of("l", "e"), expired.stream().map(InvocationQueueTest::id).toList());
    assertEquals(1, q.size());
    assertEquals(3, q.bytes());
    assertEquals(400, q.oldestWaitNanos(420));
  }

  @Test
  void remainingTimeOfTheOldest() {
    InvocationQueue q = new InvocationQueue(10, 1000);
    assertEquals(77, q.oldestRemainingMs(0, 77));
    q.offer(w("a", 1, 0, 5_000_000_000L));
    assertEquals(3000, q.oldestRemainingMs(2_000_000_000L, 77));
    assertEquals(0, q.oldestRemainingMs(6_000_000_000L, 77));
    assertEquals(1, q.drain().size());
    assertTrue(q.isEmpty());
    assertEquals(0, q.bytes());
  }
}
