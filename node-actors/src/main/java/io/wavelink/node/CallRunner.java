package io.wavelink.node;

import io.wavelink.node.WaveletProtocol.Command;
import io.wavelink.node.WaveletProtocol.InvocationFinished;
import io.wavelink.node.WaveletProtocol.Invoke;
import io.wavelink.node.WaveletProtocol.StartInstance;
import io.wavelink.node.internal.ModuleCache;
import io.wavelink.node.internal.TierUp;
import io.wavelink.node.sandbox.ExecutionMode;
import io.wavelink.node.sandbox.Invocation;
import io.wavelink.node.sandbox.InvocationResult;
import io.wavelink.node.sandbox.PreparedModule;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.concurrent.ExecutorService;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * How a {@link Wavelet} runs its calls: each on a sandbox thread, its answer to its caller and its
 * end to its owner and to the Wavelet ({@link Wavelet.Finished}).
 *
 * <p>While the module of an interpreted emergency instance is being compiled, at most {@code
 * interpreted-calls} calls run interpreted on the node at once; further ones are parked until the
 * compile arrives or a slot frees. An interpreted call of CPU-bound code takes tens of times the CPU
 * of a compiled one, so a burst that ran all its calls interpreted would keep the node's cores busy
 * long after the compile.
 *
 * <p>Used by the Wavelet's own thread only, except {@link #ended}, which any thread may call.
 */
final class CallRunner {

  /** How long a large output waits for its gateway to fetch it. */
  private static final Duration OUTPUT_TTL = Duration.ofMinutes(2);

  /** A call waiting for its interpreted instance's compiled module, or for an interpreted slot. */
  private record Parked(WaveletSandbox sandbox, Invoke invoke, long arrivedNanos) {}

  private final String nodeId;
  private final ExecutorService sandboxPool;
  /** runs calls, and runs an interpreted call again compiled when its module's compile arrives */
  private final TierUp tierUp;
  /** null in tests that drive the Wavelet alone */
  private final Blobs blobs;
  /** the Wavelet, told of every call's end from whatever thread ended it */
  private final ActorRef<Command> wavelet;
  /** the most calls running interpreted at once while their module is being compiled */
  private final int interpretedCalls;
  /** calls running interpreted now */
  private int interpretedRunning;
  /** calls of interpreted instances waiting for their module's compile or an interpreted slot, oldest first */
  private final ArrayDeque<Parked> parked = new ArrayDeque<>();

  CallRunner(String nodeId, ExecutorService sandboxPool, TierUp tierUp, Blobs blobs, ActorRef<Command> wavelet, int interpretedCalls) {
    this.nodeId = nodeId;
    this.sandboxPool = sandboxPool;
    this.tierUp = tierUp;
    this.blobs = blobs;
    this.wavelet = wavelet;
    this.interpretedCalls = interpretedCalls;
  }

  /** Runs a call whose input is inline on {@code sandbox}, or parks it (above). */
  void dispatch(WaveletSandbox sandbox, Invoke invoke, long arrivedNanos) {
    boolean interpreted = sandbox.module.mode() == ExecutionMode.INTERPRETED;
    if (interpreted && sandbox.holdsCompiled && interpretedRunning >= interpretedCalls) {
      parked.add(new Parked(sandbox, invoke, arrivedNanos));
      return;
    }
    if (interpreted) {
      interpretedRunning++;
    }
    run(sandbox, sandbox.module, sandbox.spec, invoke, invoke.input(), arrivedNanos);
  }

  /** A call that runs interpreted without being dispatched (its input fetched first) took a slot. */
  void startedInterpreted() {
    interpretedRunning++;
  }

  /** A call ended ({@link Wavelet.Finished}); {@code interpreted}: it held a slot, which parked calls may take. */
  void finished(boolean interpreted) {
    if (interpreted) {
      interpretedRunning--;
      runParked();
    }
  }

  /** Runs the parked calls that can run now: those whose instance runs compiled, then within the interpreted slots. */
  void runParked() {
    for (Iterator<Parked> it = parked.iterator(); it.hasNext(); ) {
      Parked p = it.next();
      if (!p.sandbox().awaitsCompile() || interpretedRunning < interpretedCalls) {
        it.remove();
        dispatch(p.sandbox(), p.invoke(), p.arrivedNanos());
      }
    }
  }

  /** Parked calls whose deadline passed (a compile that takes longer than they may wait) time out. */
  void expireParked(long nowNanos) {
    for (Iterator<Parked> it = parked.iterator(); it.hasNext(); ) {
      Parked p = it.next();
      long waitedMs = (nowNanos - p.arrivedNanos()) / 1_000_000;
      if (waitedMs >= p.invoke().timeoutMs()) {
        it.remove();
        StartInstance spec = p.sandbox().spec;
        ended(spec, p.invoke(),
            new InvocationReply(InvocationReply.Status.TIMEOUT, new byte[0], spec.instanceId(), spec.kind(),
                p.invoke().coldStart(), 0L,
                "function " + spec.function() + " timed out after " + waitedMs
                    + " ms waiting for its module to be compiled on node " + nodeId, ""),
            0, false);
      }
    }
  }

  /** The guest's environment variable that holds its call's id, when the caller gave one. */
  static final String INVOCATION_ID_VARIABLE = "WAVELINK_INVOCATION_ID";

  /**
   * The guest's environment for one call: the function's {@code env}, and {@value
   * #INVOCATION_ID_VARIABLE} when the call has an id (it wins over a variable of that name in {@code env}).
   */
  static java.util.Map<String, String> envOf(StartInstance spec, Invoke invoke) {
    if (invoke.requestId().isEmpty()) {
      return spec.env();
    }
    java.util.Map<String, String> env = new java.util.HashMap<>(spec.env());
    env.put(INVOCATION_ID_VARIABLE, invoke.requestId());
    return env;
  }

  /** Runs the call on a sandbox thread; its deadline counts from {@code arrivedNanos}. */
  void run(WaveletSandbox sandbox, PreparedModule module, StartInstance spec, Invoke invoke, byte[] input, long arrivedNanos) {
    String key = ModuleCache.keyOf(spec.function(), spec.version(), spec.module());
    long leftMs = Math.max(1, invoke.timeoutMs() - (System.nanoTime() - arrivedNanos) / 1_000_000);
    Invocation invocation =
        new Invocation(spec.function(), input, envOf(spec, invoke), spec.memoryMb(), Duration.ofMillis(leftMs));
    sandboxPool.execute(
        () -> {
          InvocationReply reply;
          long peak = 0;
          try {
            // an interpreted call stops and runs again compiled when its module's compile arrives
            TierUp.Ran ran = tierUp.invoke(key, module, invocation, sandbox::compiledNow);
            peak = ran.result().peakMemoryBytes();
            reply = toReply(ran.result(), spec, invoke.coldStart()).withExecution(ran.module().mode());
          } catch (RuntimeException e) {
            reply =
                new InvocationReply(
                    InvocationReply.Status.FUNCTION_ERROR,
                    new byte[0],
                    spec.instanceId(),
                    spec.kind(),
                    invoke.coldStart(),
                    0L,
                    "sandbox failure: " + rootMessage(e),
                    "").withExecution(module.mode());
          }
          if (blobs != null && blobs.large(reply.output())) {
            reply = reply.withOutputApart(blobs.put(reply.output(), OUTPUT_TTL)); // the gateway fetches it
          }
          ended(spec, invoke, reply, peak, module.mode() == ExecutionMode.INTERPRETED);
        });
  }

  /** The call's answer goes to its caller, its end to the owner and to the Wavelet; any thread. */
  void ended(StartInstance spec, Invoke invoke, InvocationReply reply, long peak, boolean interpreted) {
    invoke.replyTo().tell(reply);
    invoke.owner().tell(InvocationFinished.of(spec.instanceId(), invoke.invocationId(), peak, reply));
    wavelet.tell(new Wavelet.Finished(spec.instanceId(), peak, interpreted));
  }

  private static InvocationReply toReply(InvocationResult result, StartInstance spec, boolean coldStart) {
    if (result instanceof InvocationResult.Success s) {
      return new InvocationReply(InvocationReply.Status.OK, s.stdout(), spec.instanceId(), spec.kind(), coldStart,
          s.duration().toNanos() / 1_000, "", s.stderrTail());
    } else if (result instanceof InvocationResult.FunctionError e) {
      return new InvocationReply(InvocationReply.Status.FUNCTION_ERROR, new byte[0], spec.instanceId(), spec.kind(),
          coldStart, e.duration().toNanos() / 1_000, e.message(), e.stderrTail());
    } else {
      InvocationResult.TimedOut t = (InvocationResult.TimedOut) result;
      return new InvocationReply(InvocationReply.Status.TIMEOUT, new byte[0], spec.instanceId(), spec.kind(),
          coldStart, t.limit().toNanos() / 1_000,
          "function " + spec.function() + " timed out after " + t.limit().toMillis() + " ms", t.stderrTail());
    }
  }

  /** The message of an error's root cause. */
  static String rootMessage(Throwable error) {
    Throwable t = error;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }
}
