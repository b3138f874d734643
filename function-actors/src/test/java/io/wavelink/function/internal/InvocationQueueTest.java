package io.wavelink.function.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class InvocationQueueTest {

  private static InvocationQueue.Waiting<String> w(String id, int bytes, long arrival, long deadline) {
    return new InvocationQueue.Waiting<>(id, bytes, arrival, deadline);
  }

  @Test
  void boundedInCountAndInBytes() {
    InvocationQueue<String> q = new InvocationQueue<>(2, 100);
    assertTrue(q.offer(w("a", 60, 0, 10)));
    assertFalse(q.offer(w("b", 50, 0, 10)), "60 + 50 bytes is over 100");
    assertTrue(q.offer(w("c", 40, 0, 10)));
    assertFalse(q.offer(w("d", 0, 0, 10)), "two already wait");
    assertEquals(100, q.bytes());
    assertEquals("a", q.poll().invocation());
    assertEquals(40, q.bytes());
  }

  @Test
  void expiresThoseWhoseDeadlinePassedInAnyOrder() {
    InvocationQueue<String> q = new InvocationQueue<>(10, 1000);
    q.offer(w("late", 1, 0, 500));
    q.offer(w("early", 2, 10, 100));
    q.offer(w("later", 3, 20, 900));
    List<InvocationQueue.Waiting<String>> expired = q.expire(500);
    assertEquals(List.of("late", "early"), expired.stream().map(InvocationQueue.Waiting::invocation).toList());
    assertEquals(1, q.size());
    assertEquals(3, q.bytes());
    assertEquals(400, q.oldestWaitNanos(420));
  }

  @Test
  void remainingTimeOfTheOldest() {
    InvocationQueue<String> q = new InvocationQueue<>(10, 1000);
    assertEquals(77, q.oldestRemainingMs(0, 77));
    q.offer(w("a", 1, 0, 5_000_000_000L));
    assertEquals(3000, q.oldestRemainingMs(2_000_000_000L, 77));
    assertEquals(0, q.oldestRemainingMs(6_000_000_000L, 77));
    assertEquals(1, q.drain().size());
    assertTrue(q.isEmpty());
    assertEquals(0, q.bytes());
  }
}
