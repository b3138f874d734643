package io.wavelink.node.sandbox;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * How one invocation of a function ended. Every outcome carries the tail of the guest's stderr, the
 * invocation's log, and the most linear memory the guest held.
 */
public sealed interface InvocationResult {

  /** The tail of what the guest wrote to stderr, decoded as UTF-8; empty when it wrote nothing. */
  String stderrTail();

  /**
   * The most linear memory the guest held during the invocation, in bytes: its memory's largest
   * size in 64 KiB pages (initial pages plus every granted {@code memory.grow}) times 64 KiB. Pages
   * are allocated when the memory is created or grown, so this is the memory the invocation
   * actually took from the node, beside the {@code memoryMb} its function reserves. 0 when the
   * module has no memory or the invocation ended before its memory was created.
   */
  long peakMemoryBytes();

  /**
   * The guest returned from {@code _start} or called {@code proc_exit(0)}.
   *
   * @param stdout the response body, everything the guest wrote to stdout
   * @param duration time from the start of instantiation to the end of {@code _start}
   * @param peakMemoryBytes see {@link InvocationResult#peakMemoryBytes()}
   */
  record Success(byte[] stdout, String stderrTail, Duration duration, long peakMemoryBytes)
      implements InvocationResult {

    /** A success that held no linear memory. */
    public Success(byte[] stdout, String stderrTail, Duration duration) {
      this(stdout, stderrTail, duration, 0);
    }

    /** The response body decoded as UTF-8 (for tests and logs). */
    public String stdoutUtf8() {
      return new String(stdout, StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
      return "Success[stdout="
          + stdout.length
          + " bytes, duration="
          + duration
          + ", peakMemoryBytes="
          + peakMemoryBytes
          + "]";
    }
  }

  /**
   * The function failed: it is the function's fault, not the platform's.
   *
   * @param kind one of {@link #EXIT}, {@link #TRAP}, {@link #MEMORY}, {@link #OUTPUT}
   * @param exitCode the guest's exit status for {@link #EXIT}; {@link #NO_EXIT_CODE} otherwise
   * @param message a one-line, user-facing description of the failure
   * @param duration time from the start of instantiation to the failure
   * @param peakMemoryBytes see {@link InvocationResult#peakMemoryBytes()}
   */
  record FunctionError(
      String kind,
      int exitCode,
      String message,
      String stderrTail,
      Duration duration,
      long peakMemoryBytes)
      implements InvocationResult {

    /** A failure that held no linear memory. */
    public FunctionError(
        String kind, int exitCode, String message, String stderrTail, Duration duration) {
      this(kind, exitCode, message, stderrTail, duration, 0);
    }

    /** The guest called {@code proc_exit} with a non-zero status. */
    public static final String EXIT = "exit";

    /** The guest trapped ({@code unreachable}, out-of-bounds access, division by zero, ...). */
    public static final String TRAP = "trap";

    /**
     * The guest needed more memory than its limit: a {@code memory.grow} beyond the limit was
     * refused and the guest then failed, or it declares more initial memory than the limit. Also
     * the node running out of memory for the guest (its message then starts with "the node ran
     * out of memory").
     */
    public static final String MEMORY = "memory";

    /** The guest wrote more to stdout than the sandbox's output limit. */
    public static final String OUTPUT = "output";

    /** {@link #exitCode} of failures that are not an exit. */
    public static final int NO_EXIT_CODE = -1;
  }

  /**
   * The guest was still running at its timeout and was stopped.
   *
   * @param limit the invocation's timeout
   * @param peakMemoryBytes see {@link InvocationResult#peakMemoryBytes()}
   */
  record TimedOut(Duration limit, String stderrTail, long peakMemoryBytes)
      implements InvocationResult {

    /** A timeout that held no linear memory. */
    public TimedOut(Duration limit, String stderrTail) {
      this(limit, stderrTail, 0);
    }
  }
}
