package io.wavelink.gateway.internal;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.pekko.cluster.MemberStatus;
import org.junit.jupiter.api.Test;

class LostCallRetriesTest {

  private static final long S = 1_000_000_000L;

  @Test
  void aGracefulLeaveLosesNothingACrashDoes() {
    assertFalse(LostCallRetries.crashed(MemberStatus.exiting()));
    assertFalse(LostCallRetries.crashed(MemberStatus.leaving()));
    assertTrue(LostCallRetries.crashed(MemberStatus.down()));
    assertTrue(LostCallRetries.crashed(MemberStatus.up()));
  }

  @Test
  void anEntityThatStartedAfterTheRemovalMovedOneThatStartedBeforeSurvived() {
    long removedAt = 100 * S;
    // answered 5 s after the removal by an entity running for 3 s: started 2 s after the removal
    assertTrue(LostCallRetries.moved(105 * S, 3_000, removedAt));
    // answered 5 s after by an entity running for 60 s: it was there before the crash
    assertFalse(LostCallRetries.moved(105 * S, 60_000, removedAt));
  }
}
