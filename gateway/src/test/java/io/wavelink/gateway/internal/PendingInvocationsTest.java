package io.wavelink.gateway.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wavelink.node.InvocationReply;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class PendingInvocationsTest {

  /** Attempts stay open until the test completes them. */
  private final List<CompletableFuture<InvocationReply>> attempts = new ArrayList<>();

  private final PendingInvocations pending =
      new PendingInvocations(
          (function, input) -> {
            CompletableFuture<InvocationReply> f = new CompletableFuture<>();
            attempts.add(f);
            return f;
          },
          Runnable::run);

  private static final InvocationReply OK = InvocationReply.rejected(InvocationReply.Status.OK, "");

  @Test
  void aLostAttemptIsSentOnceMoreAndTheRetryAnswers() throws Exception {
    CompletionStage<InvocationReply> call = pending.invoke("f", new byte[] {1});
    assertEquals(1, attempts.size());
    assertEquals(1, pending.retryPending());
    assertEquals(2, attempts.size());
    attempts.get(1).complete(OK);
    assertSame(OK, call.toCompletableFuture().get(1, TimeUnit.SECONDS));
    assertEquals(0, pending.size());
  }

  @Test
  void noInvocationIsSentMoreThanTwice() {
    pending.invoke("f", new byte[0]);
    pending.retryPending();
    assertEquals(0, pending.retryPending());
    assertEquals(2, attempts.size());
    assertEquals(1, pending.retries());
  }

  @Test
  void theCallFailsOnlyWhenEveryAttemptHasFailed() {
    CompletableFuture<InvocationReply> call = pending.invoke("f", new byte[0]).toCompletableFuture();
    pending.retryPending();
    attempts.get(0).completeExceptionally(new RuntimeException("lost"));
    assertFalse(call.isDone(), "the retry is still running");
    attempts.get(1).completeExceptionally(new RuntimeException("lost again"));
    assertTrue(call.isCompletedExceptionally());
  }

  @Test
  void answeredInvocationsAreNotRetried() {
    pending.invoke("f", new byte[0]);
    attempts.get(0).complete(OK);
    assertEquals(0, pending.retryPending());
    assertEquals(1, attempts.size());
  }
}
