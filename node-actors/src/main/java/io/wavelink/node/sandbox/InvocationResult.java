package io.wavelink.node.sandbox;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * How one invocation of a function ended. Every outcome carries the tail of the guest's stderr, the
 * invocation's log.
 */
public sealed interface InvocationResult {

  /** The tail of what the guest wrote to stderr, decoded as UTF-8; empty when it wrote nothing. */
  String stderrTail();

  /**
   * The guest returned from {@code _start} or called {@code proc_exit(0)}.
   *
   * @param stdout the response body, everything the guest wrote to stdout
   * @param duration time from the start of instantiation to the end of {@code _start}
   */
  record Success(byte[] stdout, String stderrTail, Duration duration) implements InvocationResult {

    /** The response body decoded as UTF-8 (for tests and logs). */
    public String stdoutUtf8() {
      return new String(stdout, StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
      return "Success[stdout=" + stdout.length + " bytes, duration=" + duration + "]";
    }
  }

  /**
   * The function failed: it is the function's fault, not the platform's.
   *
   * @param kind one of {@link #EXIT}, {@link #TRAP}, {@link #MEMORY}, {@link #OUTPUT}
   * @param exitCode the guest's exit status for {@link #EXIT}; {@link #NO_EXIT_CODE} otherwise
   * @param message a one-line, user-facing description of the failure
   * @param duration time from the start of instantiation to the failure
   */
  record FunctionError(
      String kind, int exitCode, String message, String stderrTail, Duration duration)
      implements InvocationResult {

    /** The guest called {@code proc_exit} with a non-zero status. */
    public static final String EXIT = "exit";

    /** The guest trapped ({@code unreachable}, out-of-bounds access, division by zero, ...). */
    public static final String TRAP = "trap";

    /**
     * The guest needed more memory than its limit: a {@code memory.grow} beyond the limit was
     * refused and the guest then failed, or it declares more initial memory than the limit.
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
   */
  record TimedOut(Duration limit, String stderrTail) implements InvocationResult {}
}
