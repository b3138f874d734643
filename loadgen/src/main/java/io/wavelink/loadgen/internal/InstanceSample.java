package io.wavelink.loadgen.internal;

/**
 * The workload's instances at one moment (from one poll of {@code GET /v1/functions}), summed over
 * its functions.
 *
 * @param tMs when, on the replay's clock
 * @param regular regular instances in any state (persisting, unplaced, starting, ready, draining)
 * @param emergency emergency instances in any state
 * @param inFlight invocations executing
 * @param queued invocations waiting for an instance
 */
public record InstanceSample(double tMs, int regular, int emergency, int inFlight, int queued) {

  public int total() {
    return regular + emergency;
  }
}
