package io.wavelink.node;

/**
 * The two kinds of instance WaveLink runs, one per track.
 *
 * <ul>
 *   <li>{@link #REGULAR}: long-lived and full-featured (module compiled to JVM bytecode, serves up to
 *       the function's concurrency at once, kept warm). Its existence is persisted desired state.
 *   <li>{@link #EMERGENCY}: short-lived, reduced feature set (interpreted, concurrency 1, short idle
 *       TTL), spawned at once by a Wavelet for a burst, never persisted.
 * </ul>
 */
public enum InstanceKind {
  REGULAR,
  EMERGENCY;

  /** The lower-case name used in HTTP headers, JSON and metrics tags. */
  public String label() {
    return this == REGULAR ? "regular" : "emergency";
  }
}
