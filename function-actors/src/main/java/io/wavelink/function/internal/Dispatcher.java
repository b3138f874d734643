package io.wavelink.function.internal;

import io.wavelink.node.Blobs;
import io.wavelink.node.InvocationReply;
import io.wavelink.node.Wavelet;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * A function's invocation path: an invocation runs at once on a free slot ({@link
 * InstancePool#freeSlot()}: regular first), or waits in the bounded {@link InvocationQueue} until a
 * slot is free or its deadline passes. Nothing here waits for the journal. Keeps the concurrency
 * level (in flight plus queued) integrated for the autoscaler ({@link LoadMeter}).
 *
 * <p>Worked example: a function with one regular instance (concurrency 2, both slots busy) gets a
 * third call: it is queued. When one of the two calls finishes, {@link #finished} frees the slot and
 * {@link #drain} runs the queued call there, oldest first.
 */
public final class Dispatcher {

  /** What became of an arriving invocation. */
  public enum Accepted {
    /** it runs on a free slot */
    RUNNING,
    /** it waits for a slot */
    QUEUED,
    /** the queue is full: the caller was told so (429) */
    REFUSED
  }

  private final InstancePool pool;
  private final InvocationQueue queue;
  private final Counters counters;
  private final FunctionMetrics metrics;
  private final LoadMeter load;
  private final Outbox out;
  /** the id of the last invocation dispatched to an instance (ids are per entity incarnation) */
  private long lastInvocationId;

  public Dispatcher(
      InstancePool pool, InvocationQueue queue, Counters counters, FunctionMetrics metrics, Outbox out) {
    this.pool = pool;
    this.queue = queue;
    this.counters = counters;
    this.metrics = metrics;
    this.out = out;
    this.load = new LoadMeter(out.nowMs());
  }

  /** A new invocation; {@code timeoutMs} counts from now, queueing included. */
  public Accepted accept(String function, byte[] input, ActorRef<InvocationReply> caller, long timeoutMs) {
    return accept(function, input, null, caller, timeoutMs);
  }

  /** A new invocation whose large input may be held apart ({@code inputRef}). */
  public Accepted accept(
      String function, byte[] input, Blobs.Ref inputRef, ActorRef<InvocationReply> caller, long timeoutMs) {
    return accept(function, input, inputRef, caller, timeoutMs, "");
  }

  /** A new invocation, with its caller's id for it ({@code requestId}, "" for none). */
  public Accepted accept(
      String function, byte[] input, Blobs.Ref inputRef, ActorRef<InvocationReply> caller, long timeoutMs,
      String requestId) {
    long nowNanos = System.nanoTime();
    InvocationQueue.Waiting w = new InvocationQueue.Waiting(
        input, inputRef, caller, nowNanos, nowNanos + timeoutMs * 1_000_000L, requestId);
    Instance free = pool.freeSlot();
    if (free != null && queue.isEmpty()) {
      dispatch(free, w, false);
      return Accepted.RUNNING;
    }
    changed();
    if (!queue.offer(w)) {
      counters.reject();
      metrics.queueFull();
      out.answer(
          caller,
          InvocationReply.rejected(
              InvocationReply.Status.OVERLOADED,
              "function " + function + " has " + queue.size() + " invocations waiting; retry later"));
      return Accepted.REFUSED;
    }
    drain(null);
    return queue.isEmpty() ? Accepted.RUNNING : Accepted.QUEUED;
  }

  /** Runs queued invocations on free slots, oldest first; {@code justReady} first if it has room. */
  public void drain(Instance justReady) {
    while (!queue.isEmpty()) {
      Instance target = justReady != null && justReady.hasFreeSlot() ? justReady : pool.freeSlot();
      if (target == null) {
        return;
      }
      dispatch(target, queue.poll(), target == justReady);
    }
  }

  private void dispatch(Instance inst, InvocationQueue.Waiting w, boolean coldStart) {
    long nowNanos = System.nanoTime();
    long remainingMs = Math.max(1, (w.deadlineNanos() - nowNanos) / 1_000_000L);
    changed();
    counters.invoked(inst.kind(), coldStart);
    if (coldStart) {
      metrics.coldStart(inst.kind());
    }
    metrics.queueWait(nowNanos - w.arrivalNanos());
    long invocationId = ++lastInvocationId;
    pool.dispatched(inst, invocationId, new Instance.Call(w.caller(), w.deadlineNanos()));
    out.toWavelet(
        inst.wavelet(),
        new Wavelet.Invoke(
            inst.id(), invocationId, w.input(), remainingMs, coldStart, w.caller(), out.owner(), w.inputRef(),
            w.requestId()));
  }

  /**
   * A call ended (its answer went to the caller from the Wavelet); the instance, or null if the call
   * was not counted any more (its instance was given up as lost before its node answered).
   */
  public Instance finished(String instanceId, long invocationId, long peakMemoryBytes) {
    changed();
    Instance inst = pool.finished(instanceId, invocationId);
    if (inst != null) {
      inst.touched(peakMemoryBytes);
      if (inst.inFlight() == 0) {
        inst.idleSince(out.nowMs());
      }
    }
    return inst;
  }

  /**
   * Invocations whose deadline passed while they waited are answered {@code reply} (a timeout, or
   * no capacity) and counted; how many there were.
   */
  public int expire(InvocationReply reply) {
    List<InvocationQueue.Waiting> expired = queue.expire(System.nanoTime());
    if (!expired.isEmpty()) {
      changed();
      refused(reply, expired);
    }
    return expired.size();
  }

  /** Answers every queued invocation with {@code reply}; how many there were. */
  public int refuseAll(InvocationReply reply) {
    changed();
    List<InvocationQueue.Waiting> all = queue.drain();
    refused(reply, all);
    return all.size();
  }

  private void refused(InvocationReply reply, List<InvocationQueue.Waiting> calls) {
    for (InvocationQueue.Waiting w : calls) {
      if (reply.status() == InvocationReply.Status.NO_CAPACITY) {
        counters.noCapacity();
      } else if (reply.status() == InvocationReply.Status.TIMEOUT) {
        counters.expired();
      }
      out.answer(w.caller(), reply);
    }
    if (reply.status() == InvocationReply.Status.NO_CAPACITY) {
      metrics.noCapacity(calls.size());
    } else if (reply.status() == InvocationReply.Status.TIMEOUT) {
      metrics.expired(calls.size());
    }
  }

  /** Removes and returns every queued invocation (none of them reached an instance). */
  public List<InvocationQueue.Waiting> takeQueued() {
    changed();
    return queue.drain();
  }

  /** The calls of a lost instance are answered {@code reply} at once, so that callers can retry. */
  public int handBack(Instance inst, InvocationReply reply) {
    changed();
    List<Instance.Call> calls = pool.takeCalls(inst);
    calls.forEach(c -> out.answer(c.caller(), reply));
    return calls.size();
  }

  /**
   * Calls whose deadline passed more than {@code graceNanos} ago without an answer from their
   * instance (the call or its end was lost on the way) are given up: their caller is told so (a
   * second answer is harmless: the caller keeps the first), and their slot is free again; how many.
   */
  public int giveUpUnanswered(long graceNanos, String function) {
    long cutoff = System.nanoTime() - graceNanos;
    int n = 0;
    for (Instance inst : pool.snapshot()) {
      for (Long id : List.copyOf(inst.calls().keySet())) {
        Instance.Call call = inst.calls().get(id);
        if (call.deadlineNanos() < cutoff) {
          changed();
          pool.finished(inst.id(), id);
          out.answer(
              call.caller(),
              InvocationReply.rejected(
                  InvocationReply.Status.TIMEOUT,
                  "function " + function + " did not answer within its timeout: instance " + inst.id()
                      + " never reported the call's end"));
          n++;
        }
      }
      if (inst.inFlight() == 0 && n > 0) {
        inst.idleSince(out.nowMs());
      }
    }
    return n;
  }

  /** Those of {@code callers} whose call is neither queued here nor running on an instance. */
  public List<ActorRef<InvocationReply>> notHeld(List<ActorRef<InvocationReply>> callers) {
    java.util.Set<ActorRef<InvocationReply>> held = new java.util.HashSet<>();
    queue.forEach(w -> held.add(w.caller()));
    for (Instance inst : pool.snapshot()) {
      inst.calls().values().forEach(c -> held.add(c.caller()));
    }
    return callers.stream().filter(c -> !held.contains(c)).toList();
  }

  /** Invocations in flight and queued: the concurrency the autoscaler follows. */
  public int level() {
    return pool.inFlight() + queue.size();
  }

  /** The average level since the previous sample (one per autoscaler tick). */
  public double sampleLevel() {
    return load.sample(out.nowMs(), level());
  }

  /** Call before the level changes, so that the time spent at the old level is counted. */
  public void changed() {
    load.changed(out.nowMs(), level());
  }

  public InvocationQueue queue() {
    return queue;
  }
}
