package io.wavelink.loadgen;

import io.wavelink.loadgen.internal.WorkloadLoader;
import java.util.List;

/**
 * What a run replays: the functions to deploy and every invocation, at its time on the replay's
 * clock (trace time divided by the speedup), in time order. Made from a trace or a synthetic spec by
 * {@link #load}; the same options (seed included) always give the same workload.
 *
 * @param source a one-line description of where it came from
 * @param functions the functions, indexed by {@link Invocation#function()}
 * @param invocations every invocation, ordered by {@link Invocation#atMs()}
 */
public record Workload(String source, List<FunctionProfile> functions, List<Invocation> invocations) {

  /**
   * One function of the workload, deployed as the busy example function.
   *
   * @param traceId its identity in the trace (e.g. InVitro's owner/app/function hashes)
   * @param memoryMb the {@code memoryMb} it is deployed with
   * @param maxRuntimeMs the longest runtime any of its invocations may ask for (sets the timeout)
   */
  public record FunctionProfile(String traceId, int memoryMb, long maxRuntimeMs) {}

  /**
   * One invocation: the busy function is told to run {@code runtimeMs} and touch {@code memoryMb}.
   *
   * @param function index into {@link Workload#functions()}
   * @param atMs when to send it, in milliseconds after the replay starts
   * @param runtimeMs the requested duration (at least 1)
   * @param memoryMb MiB to touch (less than the function's {@code memoryMb})
   */
  public record Invocation(int function, double atMs, long runtimeMs, int memoryMb) {

    /** The request body the busy function reads: {@code "<ms> <mb>"}. */
    public String body() {
      return runtimeMs + " " + memoryMb;
    }
  }

  public Workload {
    functions = List.copyOf(functions);
    invocations = List.copyOf(invocations);
  }

  /** The time of the last invocation (0 when there is none). */
  public double spanMs() {
    return invocations.isEmpty() ? 0 : invocations.get(invocations.size() - 1).atMs();
  }

  /**
   * Reads or generates the workload that {@code options} describe (trace, minutes, speedup, seed,
   * functions, arrivals, max memory).
   *
   * @throws TraceFormatException for a malformed trace file (naming the file and line)
   * @throws LoadgenException for a missing file or a bad synthetic spec
   */
  public static Workload load(LoadgenOptions options) {
    return WorkloadLoader.load(options);
  }
}
