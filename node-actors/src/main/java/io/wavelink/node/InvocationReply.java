package io.wavelink.node;

import io.wavelink.node.sandbox.ExecutionMode;

/**
 * The answer to one invocation, sent to the caller (the gateway) by the Wavelet that ran it, or by
 * the function's entity when the invocation never reached a sandbox (unknown function, queue full,
 * timed out while queued).
 *
 * @param status what happened
 * @param output the function's stdout on {@link Status#OK}, empty otherwise
 * @param instanceId the instance that ran it, empty if none did
 * @param kind the kind of that instance, {@code null} if none ran it
 * @param coldStart whether this invocation waited for its instance to start
 * @param durationMicros time spent executing inside the sandbox
 * @param message a human-readable explanation for every status but OK
 * @param stderrTail the tail of the function's stderr (its log), possibly empty
 * @param outputRef where a large output is ({@link Blobs}), {@code output} then empty; null when the
 *     output is inline
 * @param execution the tier that ran the call: {@link ExecutionMode#COMPILED} (the module compiled
 *     to JVM bytecode) or {@link ExecutionMode#INTERPRETED} (an emergency instance that started
 *     before its node had the module compiled); null if no sandbox ran it
 */
public record InvocationReply(
    Status status,
    byte[] output,
    String instanceId,
    InstanceKind kind,
    boolean coldStart,
    long durationMicros,
    String message,
    String stderrTail,
    Blobs.Ref outputRef,
    ExecutionMode execution) {

  /** A reply with its output inline. */
  public InvocationReply(
      Status status,
      byte[] output,
      String instanceId,
      InstanceKind kind,
      boolean coldStart,
      long durationMicros,
      String message,
      String stderrTail) {
    this(status, output, instanceId, kind, coldStart, durationMicros, message, stderrTail, null, null);
  }

  /** The same reply, saying which tier ran the call. */
  public InvocationReply withExecution(ExecutionMode tier) {
    return new InvocationReply(status, output, instanceId, kind, coldStart, durationMicros, message, stderrTail, outputRef, tier);
  }

  /** The same reply with its output held apart, at {@code ref}. */
  public InvocationReply withOutputApart(Blobs.Ref ref) {
    return new InvocationReply(status, EMPTY, instanceId, kind, coldStart, durationMicros, message, stderrTail, ref, execution);
  }

  /** The same reply with its output inline again. */
  public InvocationReply withOutput(byte[] bytes) {
    return new InvocationReply(status, bytes, instanceId, kind, coldStart, durationMicros, message, stderrTail, null, execution);
  }

  /** Outcome of an invocation; the gateway maps each to an HTTP status. */
  public enum Status {
    /** The function exited with 0: output is its stdout. */
    OK,
    /** The function trapped, exited non-zero or exceeded its memory (HTTP 502). */
    FUNCTION_ERROR,
    /** The function ran past its timeout, or the timeout expired while queued (HTTP 504). */
    TIMEOUT,
    /** No function of that name is deployed (HTTP 404). */
    NOT_FOUND,
    /** The function's queue is full (HTTP 429). */
    OVERLOADED,
    /** The control plane cannot serve it now: not ready, journal unreachable (HTTP 503). */
    UNAVAILABLE,
    /**
     * The instance running it was lost with its node (unreachable or gone) before it answered: the
     * function's entity says so at once, and the gateway sends the invocation once more (HTTP 503
     * only if it was already sent twice).
     */
    INSTANCE_LOST,
    /**
     * No worker node could hold an instance of the function at all, even after reclaiming idle
     * instances: its memory is larger than every node, or no node is up (HTTP 503 with Retry-After).
     */
    NO_CAPACITY
  }

  private static final byte[] EMPTY = new byte[0];

  /** A reply for an invocation that never reached a sandbox. */
  public static InvocationReply rejected(Status status, String message) {
    return new InvocationReply(status, EMPTY, "", null, false, 0L, message, "");
  }
}
