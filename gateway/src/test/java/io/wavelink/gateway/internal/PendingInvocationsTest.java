package io.wavelink.gateway.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wavelink.node.InvocationReply;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class PendingInvocationsTest {

  /** Attempts stay open until the test completes them. */
  private final List<CompletableFuture<InvocationReply>> attempts = new ArrayList<>();

  /** The timeout each attempt was given. */
  private final List<Duration> timeouts = new ArrayList<>();

  private final PendingInvocations pending = pendingWithin(Duration.ofSeconds(30));

  /** The call id each attempt carried. */
  private final List<String> requestIds = new ArrayList<>();

  /** The handle each attempt was sent as (its index, as an Integer). */
  private final List<Object> handles = new ArrayList<>();

  private static final Duration CHECK = Duration.ofSeconds(2);

  private PendingInvocations pendingWithin(Duration timeout) {
    return new PendingInvocations(
        (function, input, inputRef, requestId, within, sentAs) -> {
          CompletableFuture<InvocationReply> f = new CompletableFuture<>();
          attempts.add(f);
          requestIds.add(requestId);
          timeouts.add(within);
          Object handle = Integer.valueOf(handles.size());
          handles.add(handle);
          sentAs.accept(handle);
          return f;
        },
        timeout,
        CHECK,
        Runnable::run);
  }

  @Test
  void aCallItsEntityDoesNotHoldAtTwoChecksInARowIsSentOnceMore() throws Exception {
    long t0 = System.nanoTime();
    CompletionStage<InvocationReply> lost = pending.invoke("f", new byte[0], null, "req_lost");
    pending.invoke("f", new byte[0]); // held by the entity: running
    pending.invoke("g", new byte[0]);
    assertTrue(pending.dueForCheck(t0, 100).isEmpty(), "nothing is looked for before it waited an interval");

    long first = t0 + CHECK.toNanos() + 1_000_000_000L;
    List<PendingInvocations.Check> checks = pending.dueForCheck(first, 100);
    assertEquals(2, checks.size(), "one check per function: " + checks);
    PendingInvocations.Check f = checks.stream().filter(c -> c.function().equals("f")).findFirst().orElseThrow();
    assertEquals(java.util.Set.of(handles.get(0), handles.get(1)), java.util.Set.copyOf(f.handles()));
    assertTrue(pending.dueForCheck(first, 100).isEmpty(), "not looked for again within the interval");

    assertEquals(0, pending.checked(f, java.util.Set.of(handles.get(0))), "missing once: maybe on its way");
    long second = first + CHECK.toNanos();
    f = pending.dueForCheck(second, 100).stream().filter(c -> c.function().equals("f")).findFirst().orElseThrow();
    assertEquals(1, pending.checked(f, java.util.Set.of(handles.get(0))), "missing twice in a row: lost");
    assertEquals(4, attempts.size());
    assertEquals(1, pending.retries());
    assertEquals(List.of("req_lost", "", "", "req_lost"), requestIds, "the second attempt carries the call's id again");

    attempts.get(3).complete(OK);
    assertSame(OK, lost.toCompletableFuture().get(1, TimeUnit.SECONDS));
    long third = second + CHECK.toNanos();
    assertTrue(pending.dueForCheck(third, 100).stream().noneMatch(c -> c.handles().contains(handles.get(0))),
        "a call sent twice is not looked for any more");
  }

  @Test
  void aCallFoundBetweenTwoMissesIsNotSentAgain() {
    long t0 = System.nanoTime();
    pending.invoke("f", new byte[0]);
    long at = t0 + CHECK.toNanos() + 1_000_000_000L;
    PendingInvocations.Check c = pending.dueForCheck(at, 100).get(0);
    pending.checked(c, java.util.Set.of(handles.get(0)));
    at += CHECK.toNanos();
    pending.checked(pending.dueForCheck(at, 100).get(0), java.util.Set.of()); // found: handed on, now queued
    at += CHECK.toNanos();
    assertEquals(0, pending.checked(pending.dueForCheck(at, 100).get(0), java.util.Set.of(handles.get(0))));
    assertEquals(1, attempts.size());
  }

  @Test
  void aCheckLooksForAtMostSoManyCallsOfAFunction() {
    long t0 = System.nanoTime();
    for (int i = 0; i < 5; i++) {
      pending.invoke("f", new byte[0]);
    }
    long at = t0 + CHECK.toNanos() + 1_000_000_000L;
    assertEquals(3, pending.dueForCheck(at, 3).get(0).handles().size());
    assertEquals(2, pending.dueForCheck(at, 3).get(0).handles().size(), "the rest at the next check");
  }

  /** The calls of f sent so far are sent again, as after a crash that took f's entity. */
  private static int retryLost(PendingInvocations p) {
    return p.retryFunction("f", System.nanoTime() + 1, "member-removed");
  }

  @Test
  void onlyTheLostFunctionsCallsSentBeforeTheCrashAreSentAgain() {
    pending.invoke("f", new byte[0]);
    pending.invoke("g", new byte[0]);
    long crash = System.nanoTime() + 1;
    spinFor(Duration.ofMillis(1));
    pending.invoke("f", new byte[0]); // after the crash: buffered for the entity's new home, not lost
    assertEquals(java.util.Set.of("f", "g"), pending.functionsWaitingSince(crash));
    assertEquals(1, pending.retryFunction("f", crash, "member-removed"));
    assertEquals(4, attempts.size());
    assertEquals(java.util.Set.of("g"), pending.functionsWaitingSince(crash), "f's call was sent twice already");
  }

  private static final InvocationReply OK = InvocationReply.rejected(InvocationReply.Status.OK, "");
  private static final InvocationReply LOST =
      InvocationReply.rejected(InvocationReply.Status.INSTANCE_LOST, "instance i of f was lost with node n");

  @Test
  void anInvocationWhoseInstanceWasLostIsSentOnceMoreAtOnce() throws Exception {
    CompletionStage<InvocationReply> call = pending.invoke("f", new byte[] {1});
    attempts.get(0).complete(LOST);
    assertEquals(2, attempts.size(), "sent again without waiting for a member's removal");
    assertEquals(1, pending.retries());
    assertFalse(call.toCompletableFuture().isDone());
    attempts.get(1).complete(OK);
    assertSame(OK, call.toCompletableFuture().get(1, TimeUnit.SECONDS));
    assertEquals(0, retryLost(pending), "nothing left to retry when the member is removed");
  }

  @Test
  void aSecondLostInstanceIsTheCallersAnswer() throws Exception {
    CompletionStage<InvocationReply> call = pending.invoke("f", new byte[0]);
    attempts.get(0).complete(LOST);
    attempts.get(1).complete(LOST);
    assertEquals(2, attempts.size(), "never a third attempt");
    assertSame(LOST, call.toCompletableFuture().get(1, TimeUnit.SECONDS));
  }

  @Test
  void aLostInstanceWaitsForTheOtherAttemptStillRunning() throws Exception {
    CompletionStage<InvocationReply> call = pending.invoke("f", new byte[0]);
    retryLost(pending); // the member-removed retry is already running
    attempts.get(0).complete(LOST);
    assertEquals(2, attempts.size());
    assertFalse(call.toCompletableFuture().isDone(), "the retry may still answer");
    attempts.get(1).complete(OK);
    assertSame(OK, call.toCompletableFuture().get(1, TimeUnit.SECONDS));
  }

  @Test
  void theRetryGetsOnlyWhatIsLeftOfTheTimeout() {
    pending.invoke("f", new byte[0]);
    spinFor(Duration.ofMillis(5));
    retryLost(pending);
    assertEquals(Duration.ofSeconds(30), timeouts.get(0));
    assertTrue(timeouts.get(1).compareTo(Duration.ofSeconds(30).minusMillis(5)) <= 0, "retry within " + timeouts.get(1));
    assertTrue(!timeouts.get(1).isNegative() && !timeouts.get(1).isZero());
  }

  private static void spinFor(Duration d) {
    long start = System.nanoTime();
    while (System.nanoTime() - start < d.toNanos()) {
      Thread.onSpinWait();
    }
  }

  @Test
  void aCallPastItsTimeoutIsNotSentAgain() throws Exception {
    PendingInvocations shortLived = pendingWithin(Duration.ofMillis(1));
    CompletionStage<InvocationReply> call = shortLived.invoke("f", new byte[0]);
    spinFor(Duration.ofMillis(5)); // until the call's 1 ms timeout has surely passed
    assertEquals(0, retryLost(shortLived));
    attempts.get(0).complete(LOST);
    assertEquals(1, attempts.size());
    assertSame(LOST, call.toCompletableFuture().get(1, TimeUnit.SECONDS));
  }

  @Test
  void aLostAttemptIsSentOnceMoreAndTheRetryAnswers() throws Exception {
    CompletionStage<InvocationReply> call = pending.invoke("f", new byte[] {1});
    assertEquals(1, attempts.size());
    assertEquals(1, retryLost(pending));
    assertEquals(2, attempts.size());
    attempts.get(1).complete(OK);
    assertSame(OK, call.toCompletableFuture().get(1, TimeUnit.SECONDS));
    assertEquals(0, pending.size());
  }

  @Test
  void noInvocationIsSentMoreThanTwice() {
    pending.invoke("f", new byte[0]);
    retryLost(pending);
    assertEquals(0, retryLost(pending));
    assertEquals(2, attempts.size());
    assertEquals(1, pending.retries());
  }

  @Test
  void theCallFailsOnlyWhenEveryAttemptHasFailed() {
    CompletableFuture<InvocationReply> call = pending.invoke("f", new byte[0]).toCompletableFuture();
    retryLost(pending);
    attempts.get(0).completeExceptionally(new RuntimeException("lost"));
    assertFalse(call.isDone(), "the retry is still running");
    attempts.get(1).completeExceptionally(new RuntimeException("lost again"));
    assertTrue(call.isCompletedExceptionally());
  }

  @Test
  void answeredInvocationsAreNotRetried() {
    pending.invoke("f", new byte[0]);
    attempts.get(0).complete(OK);
    assertEquals(0, retryLost(pending));
    assertEquals(1, attempts.size());
  }
}
