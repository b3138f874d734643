package io.wavelink.function.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class InvocationLogTest {

  private static void add(InvocationLog log, int n) {
    for (int i = 0; i < n; i++) {
      log.add(i, "i-" + i, "regular", "node-1", "OK", "", 10, "");
    }
  }

  private static List<Long> seqs(InvocationLog.Page page) {
    return page.entries().stream().map(io.wavelink.function.FunctionProtocol.LogEntry::seq).toList();
  }

  @Test
  void anEmptyLogHasNothingAndFollowsFromWhereItWasAsked() {
    InvocationLog log = new InvocationLog(3);
    assertEquals(new InvocationLog.Page(List.of(), 0, 0), log.page(-1, 10));
    assertEquals(new InvocationLog.Page(List.of(), 0, 0), log.page(5, 10),
        "a follower of a log that started again (its entity moved) follows it from its start");
    add(log, 1);
    assertEquals(List.of(1L), seqs(log.page(5, 10)));
  }

  @Test
  void theMostRecentFirstThenWhatCameAfterInOrder() {
    InvocationLog log = new InvocationLog(10);
    add(log, 4);
    InvocationLog.Page recent = log.page(-1, 2);
    assertEquals(List.of(3L, 4L), seqs(recent), "the two most recent, oldest first");
    assertEquals(4, recent.next());
    assertEquals(new InvocationLog.Page(List.of(), 4, 0), log.page(recent.next(), 10), "nothing new: same place");
    add(log, 2);
    InvocationLog.Page later = log.page(recent.next(), 10);
    assertEquals(List.of(5L, 6L), seqs(later));
    assertEquals(0, later.missed());
    assertEquals(List.of(2L, 3L), seqs(log.page(1, 2)), "paged by limit");
  }

  @Test
  void theRingKeepsTheLastEntriesAndSaysHowManyAFollowerMissed() {
    InvocationLog log = new InvocationLog(3);
    add(log, 8); // 6, 7, 8 kept
    assertEquals(List.of(6L, 7L, 8L), seqs(log.page(-1, 100)));
    InvocationLog.Page page = log.page(2, 100);
    assertEquals(List.of(6L, 7L, 8L), seqs(page));
    assertEquals(3, page.missed(), "3, 4 and 5 are gone");
    assertEquals(8, page.next());
    assertEquals("i-6", log.page(6, 1).entries().get(0).instanceId(), "the 7th call added");
  }
}
