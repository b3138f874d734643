package io.wavelink.loadgen.internal;

/**
 * What happened to one invocation. Times are milliseconds on the replay's clock (0 = replay start).
 *
 * @param function the deployed function name
 * @param scheduledMs when the workload said to send it
 * @param startMs when it was sent (later than scheduled only if the generator lagged)
 * @param requestedMs the runtime asked of the busy function
 * @param requestedMb the memory asked of it
 * @param responseMs from sending to the complete response
 * @param executionMs {@code X-WaveLink-Duration-Ms} (time in the sandbox), NaN if absent
 * @param instanceKind {@code regular}, {@code emergency}, or empty if unknown
 * @param coldStart {@code true}, {@code false}, or empty if unknown
 * @param status the HTTP status, or {@code timeout} / {@code connect-error} / {@code io-error} when
 *     no response came
 * @param instance {@code X-WaveLink-Instance}, or empty
 * @param target the gateway it was sent to
 * @param error the error message of a failure (empty on success)
 */
public record InvocationRecord(
    String function,
    double scheduledMs,
    double startMs,
    long requestedMs,
    int requestedMb,
    double responseMs,
    double executionMs,
    String instanceKind,
    String coldStart,
    String status,
    String instance,
    String target,
    String error) {

  public static final String OK = "200";

  public boolean ok() {
    return OK.equals(status);
  }

  /** How late the generator sent it. */
  public double lagMs() {
    return startMs - scheduledMs;
  }
}
