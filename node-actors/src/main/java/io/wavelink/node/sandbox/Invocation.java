package io.wavelink.node.sandbox;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One request to run a function's module once.
 *
 * @param functionName the function's name, the guest's only command-line argument ({@code argv[0]})
 * @param input the request body, the guest's stdin
 * @param env the function's environment variables, the guest's WASI environment
 * @param memoryMb the most linear memory the guest may have, in MiB
 * @param timeout how long the guest may run before it is stopped
 */
public record Invocation(
    String functionName, byte[] input, Map<String, String> env, int memoryMb, Duration timeout) {

  /** Default {@link #functionName} when the caller gives none. */
  public static final String DEFAULT_FUNCTION_NAME = "function";

  public Invocation {
    Objects.requireNonNull(functionName, "functionName");
    Objects.requireNonNull(input, "input");
    env = Map.copyOf(env);
    Objects.requireNonNull(timeout, "timeout");
    if (memoryMb <= 0) {
      throw new IllegalArgumentException("memoryMb must be positive, was " + memoryMb);
    }
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout must be positive, was " + timeout);
    }
  }

  /** An invocation whose guest sees {@value #DEFAULT_FUNCTION_NAME} as its name. */
  public Invocation(byte[] input, Map<String, String> env, int memoryMb, Duration timeout) {
    this(DEFAULT_FUNCTION_NAME, input, env, memoryMb, timeout);
  }

  /** The guest's command-line arguments. */
  public List<String> args() {
    return List.of(functionName);
  }

  @Override
  public String toString() {
    return "Invocation[functionName="
        + functionName
        + ", input="
        + input.length
        + " bytes, env="
        + env.keySet()
        + ", memoryMb="
        + memoryMb
        + ", timeout="
        + timeout
        + "]";
  }
}
