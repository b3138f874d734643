package io.wavelink.node.internal;

import io.wavelink.node.sandbox.ExecutionMode;
import io.wavelink.node.sandbox.Invocation;
import io.wavelink.node.sandbox.InvocationResult;
import io.wavelink.node.sandbox.PreparedModule;
import io.wavelink.node.sandbox.SandboxRuntime;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Tier-up of calls already running: a call that runs interpreted while its node compiles the
 * module is stopped when the compiled module arrives and run again, compiled, within what is left
 * of its deadline.
 *
 * <p>Running it again is safe because a function is pure as far as the node is concerned: it has
 * no filesystem and no network, and its only effects are its stdout and stderr, which are kept
 * until the call ends and dropped with a stopped run. It pays: interpreted CPU-bound code takes
 * tens of times the CPU of compiled code, so a long interpreted call started just before the
 * compile would otherwise hold a core long after it. What a stopped run cost is lost; the node
 * bounds it by running few calls interpreted at once while a compile is on its way.
 *
 * <p>Thread-safety: {@link #invoke} runs on sandbox threads, {@link #compiled} on any thread.
 */
public final class TierUp {

  /** What ran a call: its result, and the module (so the tier) that produced it. */
  public record Ran(InvocationResult result, PreparedModule module) {}

  /** One interpreted call running on {@code thread}. */
  private static final class Running {
    private final Thread thread;
    private PreparedModule compiled;
    private boolean done;

    Running(Thread thread) {
      this.thread = thread;
    }

    /** Stops the run for {@code module}, unless it has ended already. */
    synchronized boolean supersede(PreparedModule module) {
      if (done || compiled != null) {
        return false;
      }
      compiled = module;
      thread.interrupt();
      return true;
    }

    /**
     * The run ended: the module to run it again on, or null. Clears the interrupt this class
     * delivered, so that it reaches nothing else the thread runs.
     */
    synchronized PreparedModule end() {
      done = true;
      if (compiled != null) {
        Thread.interrupted();
      }
      return compiled;
    }
  }

  private final SandboxRuntime runtime;
  private final Map<String, Set<Running>> running = new ConcurrentHashMap<>();

  public TierUp(SandboxRuntime runtime) {
    this.runtime = runtime;
  }

  /**
   * Runs {@code invocation} on {@code module} (of module key {@code key}) on the calling thread. A
   * compiled module just runs. An interpreted run stopped by {@link #compiled} runs again on the
   * compiled module with what is left of the invocation's timeout; a run that ended as it was
   * stopped keeps its result. {@code compiledNow} gives the compiled module if it is there already
   * (then the call runs on it at once), or null.
   *
   * @throws CancellationException if the thread was interrupted by someone else (see {@link
   *     SandboxRuntime#invoke})
   */
  public Ran invoke(String key, PreparedModule module, Invocation invocation, Supplier<PreparedModule> compiledNow) {
    if (module.mode() != ExecutionMode.INTERPRETED) {
      return new Ran(runtime.invoke(module, invocation), module);
    }
    long started = System.nanoTime();
    Running run = new Running(Thread.currentThread());
    running.compute(key, (k, calls) -> {
      Set<Running> set = calls == null ? ConcurrentHashMap.newKeySet() : calls;
      set.add(run);
      return set;
    });
    InvocationResult result;
    try {
      // registered first, then checked: a compile that arrived meanwhile is seen here or stops this run
      PreparedModule compiled = compiledNow.get();
      if (compiled != null) {
        run.end(); // and a stop delivered meanwhile is cleared
        return new Ran(runtime.invoke(compiled, invocation), compiled);
      }
      result = runtime.invoke(module, invocation);
    } catch (CancellationException e) {
      PreparedModule compiled = run.end();
      if (compiled == null) {
        throw e; // interrupted by someone else: its interrupt status stays set
      }
      long leftNanos = invocation.timeout().toNanos() - (System.nanoTime() - started);
      Invocation again =
          new Invocation(invocation.functionName(), invocation.input(), invocation.env(), invocation.memoryMb(),
              Duration.ofNanos(Math.max(1_000_000, leftNanos)));
      return new Ran(runtime.invoke(compiled, again), compiled);
    } finally {
      running.computeIfPresent(key, (k, calls) -> {
        calls.remove(run);
        return calls.isEmpty() ? null : calls;
      });
    }
    run.end(); // stopped just as it ended: its result stands
    return new Ran(result, module);
  }

  /**
   * The compiled module of {@code key} is there: the calls running interpreted on it now stop and
   * run again on {@code compiled}. Call it after making the module visible to the {@code
   * compiledNow} of later {@link #invoke}s.
   *
   * @return how many calls were stopped
   */
  public int compiled(String key, PreparedModule compiled) {
    Set<Running> calls = running.get(key);
    if (calls == null) {
      return 0;
    }
    int stopped = 0;
    for (Running run : calls) {
      if (run.supersede(compiled)) {
        stopped++;
      }
    }
    return stopped;
  }
}
