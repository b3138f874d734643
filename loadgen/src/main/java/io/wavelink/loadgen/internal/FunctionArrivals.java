package io.wavelink.loadgen.internal;

/**
 * One function's invocations as a trace source produces them, on the trace's own clock.
 *
 * @param id the function's identity in the trace
 * @param atMs invocation times (trace milliseconds), not necessarily sorted
 * @param runtimeMs requested runtime of each invocation
 * @param memoryMb memory of each invocation (MiB, before capping)
 * @param maxMemoryMb no invocation of this function ever asks for more (sizes its deployment)
 */
public record FunctionArrivals(String id, double[] atMs, double[] runtimeMs, double[] memoryMb, double maxMemoryMb) {

  public int size() {
    return atMs.length;
  }
}
