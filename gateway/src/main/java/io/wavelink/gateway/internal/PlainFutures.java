package io.wavelink.gateway.internal;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Pekko's Java API returns Scala futures converted to {@link CompletionStage}; their {@code
 * thenApply}, {@code thenCompose} and {@code whenComplete} run asynchronously on the common pool,
 * which on a machine with two cores is a new thread per call (CompletableFuture's
 * ThreadPerTaskExecutor). Code that chains on an ask in a hot path chains on {@link #of} instead.
 */
public final class PlainFutures {

  private PlainFutures() {}

  /** A plain future completed with {@code stage}'s outcome, on the thread that completes it. */
  public static <T> CompletableFuture<T> of(CompletionStage<T> stage) {
    CompletableFuture<T> plain = new CompletableFuture<>();
    // whenComplete on the converted stage may itself be asynchronous: once per stage, never chained
    stage.whenComplete((value, failure) -> {
      if (failure != null) {
        plain.completeExceptionally(failure);
      } else {
        plain.complete(value);
      }
    });
    return plain;
  }
}
