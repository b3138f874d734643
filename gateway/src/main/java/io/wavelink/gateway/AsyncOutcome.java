package io.wavelink.gateway;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.wavelink.function.FunctionSpec;
import io.wavelink.node.InvocationReply;
import io.wavelink.persistence.AsyncStore;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadLocalRandom;

/**
 * What an {@link AsyncDispatcher} writes when an attempt of an asynchronous call ends: the attempt's
 * entry in the call's record (dispatcher, times, outcome, instance), and then the call succeeded
 * (with its result, up to {@code wavelink.async.max-result-size}), is retried after its backoff, is
 * deferred without using an attempt (the platform's back-pressure: overloaded, no capacity,
 * unavailable), or is dead-lettered (not deployed, no retries left).
 */
final class AsyncOutcome {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final AsyncStore store;
  private final AsyncSettings settings;
  private final String dispatcher;

  AsyncOutcome(AsyncStore store, AsyncSettings settings, String dispatcher) {
    this.store = store;
    this.settings = settings;
    this.dispatcher = dispatcher;
  }

  /**
   * Writes what an attempt came to: succeeded, retried, deferred or dead. Completes with the due time
   * of the next attempt (a retry or a deferral), or null when the call is done.
   */
  CompletionStage<Instant> record(
      String function, AsyncStore.Invocation inv, int attempt,
      FunctionSpec.AsyncPolicy policy, Instant started, InvocationReply reply, Throwable failure) {
    String outcome;
    String message;
    String stderr = "";
    boolean retryable;
    if (failure != null) {
      outcome = "lost";
      message = "no answer from the function's entity (" + rootMessage(failure) + ")";
      retryable = true;
    } else {
      stderr = reply.stderrTail();
      message = reply.message();
      switch (reply.status()) {
        case OK -> {
          byte[] out = reply.output();
          String note = "";
          if (out.length > settings.maxResultBytes()) {
            note = "the result (" + out.length + " bytes) is larger than wavelink.async.max-result-size ("
                + settings.maxResultBytes() + " bytes) and was not kept";
            out = new byte[0];
          }
          return store.succeeded(inv.id(), attemptJson(attempt, started, "succeeded", note, reply), out, stderr)
              .thenApply(v -> (Instant) null);
        }
        case NOT_FOUND -> {
          return deadLettered(policy, inv, store.dead(function, inv.id(), attemptJson(attempt, started, "not_found",
              "function not deployed", reply), "function " + function + " is not deployed", stderr));
        }
        case OVERLOADED, NO_CAPACITY, UNAVAILABLE -> {
          // the platform's back-pressure, not the call's fault: wait, without using an attempt
          Instant due = Instant.now().plus(settings.defer()).plusMillis(ThreadLocalRandom.current().nextLong(
              Math.max(1, settings.defer().toMillis())));
          return store.retry(function, inv.id(), inv.seq() + 1, due, AsyncStore.QUEUED, null,
              "deferred: " + reply.message(), stderr).thenApply(v -> due);
        }
        default -> {
          outcome = reply.status().name().toLowerCase(java.util.Locale.ROOT);
          retryable = true;
        }
      }
    }
    String attemptRecord = attemptJson(attempt, started, outcome, message, reply);
    if (retryable && attempt <= policy.retries()) {
      Instant due = Instant.now().plusMillis(policy.backoffBefore(attempt, ThreadLocalRandom.current()));
      return store.retry(function, inv.id(), inv.seq() + 1, due, AsyncStore.FAILED, attemptRecord,
          "attempt " + attempt + " failed (" + outcome + "): " + message + "; retry at " + due, stderr)
          .thenApply(v -> due);
    }
    return deadLettered(policy, inv, store.dead(function, inv.id(), attemptRecord,
        "attempt " + attempt + " failed (" + outcome + "): " + message + "; no retries left", stderr));
  }

  /**
   * After a call was dead-lettered: when its function names a dead-letter function, that function
   * gets the call's record (as GET /v1/invocations/{id} shows it, with the input in base64) as an
   * async call, once (its idempotency key is the dead call's id and record version, so a dispatcher
   * that writes this again after a crash adds nothing). A call that is itself such a delivery is not
   * forwarded again. Completes once the delivery is accepted: if it is not, the outcome is not
   * recorded as written and the call's lease runs out, as for any failed write.
   */
  private CompletionStage<Instant> deadLettered(FunctionSpec.AsyncPolicy policy, AsyncStore.Invocation inv, CompletionStage<Void> dead) {
    String destination = policy.deadLetterFunction();
    if (destination.isEmpty() || inv.source().startsWith(DEAD_LETTER_SOURCE)) {
      return dead.thenApply(v -> (Instant) null);
    }
    return dead
        .thenCompose(v -> store.get(inv.id()))
        .thenCompose(found -> {
          if (found.isEmpty()) {
            return java.util.concurrent.CompletableFuture.completedFuture(null);
          }
          Map<String, Object> record = AsyncApi.describe(found.get(), true);
          record.put("input", java.util.Base64.getEncoder().encodeToString(found.get().input()));
          byte[] body;
          try {
            body = JSON.writeValueAsBytes(record);
          } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
          }
          return store.accept(destination, body, "dead-letter:" + inv.id() + ":" + inv.seq(), settings.dispatchers(),
              DEAD_LETTER_SOURCE + inv.function() + " " + inv.id());
        })
        .thenApply(v -> (Instant) null);
  }

  /** The source of a call that delivers another's dead letter; such a call is not forwarded again. */
  static final String DEAD_LETTER_SOURCE = "dead letter of ";

  String attemptJson(int attempt, Instant started, String outcome, String message, InvocationReply reply) {
    Map<String, Object> a = new LinkedHashMap<>();
    a.put("attempt", attempt);
    a.put("dispatcher", dispatcher);
    a.put("startedAt", started.toString());
    a.put("endedAt", Instant.now().toString());
    a.put("outcome", outcome);
    a.put("message", message == null ? "" : message);
    if (reply != null && !reply.instanceId().isEmpty()) {
      a.put("instance", reply.instanceId());
      a.put("kind", reply.kind() == null ? "none" : reply.kind().label());
      a.put("durationMs", reply.durationMicros() / 1000.0);
    }
    try {
      return JSON.writeValueAsString(a);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  static String rootMessage(Throwable t) {
    Throwable c = t;
    while ((c instanceof java.util.concurrent.CompletionException || c instanceof java.util.concurrent.ExecutionException)
        && c.getCause() != null) {
      c = c.getCause();
    }
    return c.getClass().getSimpleName() + (c.getMessage() == null ? "" : ": " + c.getMessage());
  }
}
