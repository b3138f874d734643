package io.wavelink.function.internal;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The regular track's bookkeeping for one function: how many regular instances it wants, and the
 * removals the journal has not confirmed yet (retried until it does, so that the journal never keeps
 * an instance the entity let go of). The scaling decision itself is the {@link
 * io.wavelink.function.Autoscaler}'s; this class turns it into a target.
 */
public final class RegularTrack {

  private int desired;
  private final Set<String> pendingRemovals = new LinkedHashSet<>();

  public int desired() {
    return desired;
  }

  public void desired(int desired) {
    this.desired = desired;
  }

  /**
   * The target at a tick: the autoscaler's decision, but never fewer instances than the invocations
   * waiting and running need ({@code ceil((inFlight + queued) / concurrency)}, within maxScale).
   */
  public static int tickTarget(int decided, int inFlight, int queued, int concurrency, int maxScale) {
    if (queued == 0) {
      return decided;
    }
    return Math.max(decided, Math.min(maxScale, needed(inFlight, queued, concurrency)));
  }

  /** Instances needed to serve {@code inFlight + queued} invocations at once. */
  public static int needed(int inFlight, int queued, int concurrency) {
    return (int) Math.ceil((double) (inFlight + queued) / Math.max(1, concurrency));
  }

  /** A removal was sent to the journal and is not confirmed yet. */
  public void removing(String instanceId) {
    pendingRemovals.add(instanceId);
  }

  /** The journal confirmed the removal. */
  public void removed(String instanceId) {
    pendingRemovals.remove(instanceId);
  }

  /** Removals to send again. */
  public List<String> unconfirmedRemovals() {
    return List.copyOf(pendingRemovals);
  }
}
