package io.wavelink.function.internal;

import io.wavelink.node.InvocationReply;
import io.wavelink.node.NodeDirectory;
import io.wavelink.node.Wavelet;
import org.slf4j.Logger;

/**
 * How instances leave a function: <em>retired</em> (draining: no new calls, stopped once the calls
 * in flight have ended), <em>stopped</em> once drained (its node frees the memory at once; a
 * regular instance then leaves the journal through the {@link RegularTrack}), or <em>lost</em> with
 * its node (its calls in flight are answered {@code INSTANCE_LOST} at once, so that their gateways
 * send them again instead of waiting for the member's removal). Each books the memory time the
 * instance held ({@link CostMeter}). Plain: acts through the {@link Outbox}; {@code changed} runs
 * after every change of the instances (the entity's gauges), {@code gone} after an instance was
 * dropped (the entity may then passivate).
 */
public final class InstanceExits {

  private final String function;
  private final InstancePool pool;
  private final Dispatcher dispatcher;
  private final CostMeter cost;
  private final RegularTrack regular;
  private final EmergencyTrack emergency;
  private final Outbox out;
  private final Runnable changed;
  private final Runnable gone;

  public InstanceExits(
      String function, InstancePool pool, Dispatcher dispatcher, CostMeter cost, RegularTrack regular,
      EmergencyTrack emergency, Outbox out, Runnable changed, Runnable gone) {
    this.function = function;
    this.pool = pool;
    this.dispatcher = dispatcher;
    this.cost = cost;
    this.regular = regular;
    this.emergency = emergency;
    this.out = out;
    this.changed = changed;
    this.gone = gone;
  }

  /** Takes an instance out of service; it stops once its in-flight invocations have finished. */
  public void retire(Instance inst) {
    if (inst.phase() == Instance.Phase.DRAINING) {
      return;
    }
    inst.phase(Instance.Phase.DRAINING);
    if (inst.inFlight() == 0) {
      stop(inst);
    }
    changed.run();
  }

  /** A drained instance (or one no longer wanted) stops: its node frees its memory at once. */
  public void stop(Instance inst) {
    forget(inst);
    gone.run();
    if (inst.wavelet() != null) {
      // its memory is free at once (or its reservation, or its request waiting for room, dropped)
      out.toWavelet(inst.wavelet(), new Wavelet.StopInstance(inst.id()));
    }
    if (inst.regular()) {
      regular.stopped(inst);
    } else {
      emergency.stopped(inst);
    }
    changed.run();
  }

  /** Drops an instance from the view and books the memory time it held. */
  public void forget(Instance inst) {
    dispatcher.changed();
    pool.remove(inst);
    cost.release(inst, out.nowMs());
  }

  /**
   * Compares the instances with the member's node view ({@link NodeCheck}): instances on a node
   * that is leaving are retired, instances on an unreachable or departed node, or whose start never
   * answered, are lost. Whether any was, so that the regular track brings its count back.
   */
  public boolean checkNodes(NodeDirectory.View view, long nowMs, long startTimeoutMs, Logger log) {
    boolean replace = false;
    for (Instance i : pool.snapshot()) {
      switch (NodeCheck.check(i, view, nowMs, startTimeoutMs)) {
        case KEEP -> {}
        case REPLACE -> {
          log.info("Node {} is leaving: replacing instance {} of {}", i.nodeId(), i.id(), function);
          retire(i);
          replace = true;
        }
        case LOST -> {
          int calls = lose(i);
          log.info("Instance {} of {} on node {} is lost ({} invocations in flight on it handed back)",
              i.id(), function, i.nodeId(), calls);
          replace = true;
        }
      }
    }
    return replace;
  }

  /**
   * Its node is gone or its start never answered: its calls in flight will not be answered by that
   * node, so their callers hear it now; a regular instance leaves the journal and is replaced. How
   * many calls were handed back.
   */
  public int lose(Instance inst) {
    int calls =
        dispatcher.handBack(
            inst,
            InvocationReply.rejected(
                InvocationReply.Status.INSTANCE_LOST,
                "instance " + inst.id() + " of function " + function + " was lost with node " + inst.nodeId()
                    + " before it answered"));
    if (inst.regular()) {
      stop(inst);
    } else {
      if (inst.wavelet() != null) {
        out.toWavelet(inst.wavelet(), new Wavelet.StopInstance(inst.id())); // if its node comes back; else its lease lapses
      }
      forget(inst);
      changed.run();
    }
    return calls;
  }
}
