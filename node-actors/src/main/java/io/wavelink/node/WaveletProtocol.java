package io.wavelink.node;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The messages of a node's {@link Wavelet}: the commands it takes ({@link Command}) and what it
 * tells the owners of its instances ({@link InstanceEvent}). {@link Wavelet} implements this
 * interface, so they are named {@code Wavelet.StartInstance}, {@code Wavelet.InstanceReady}, and so
 * on. Every message that crosses members has a Protobuf form ({@code node.proto},
 * {@code NodeSerializer}).
 */
public interface WaveletProtocol {

  /** What a Wavelet takes: from its instances' owners, its NodeEntity, and (privately) itself. */
  sealed interface Command
      permits StartInstance, Reserve, StopInstance, ReclaimDeclined, RenewLeases, Invoke, GetStatus, Reconcile,
          Wavelet.Prepared, Wavelet.Finished, Wavelet.Compiled, Wavelet.RegisterTick, Wavelet.AdmissionTick,
          Wavelet.Drain, Wavelet.DrainTick {}

  /**
   * Start an instance. Each invocation has its own linear memory of up to {@code memoryMb}, so an
   * instance reserves {@link #reservedMb()}: memory times concurrency. {@code waitMs} 0: only if
   * there is room now; more: idle emergency instances may be reclaimed for it (any idle instance of
   * another function when {@code callersWaiting}: invocations wait for this one), and it may wait
   * that long for room. {@code module} names the code by its SHA-256 in the module store (the node
   * fetches it once and shares it with every instance of that code); only functions deployed before
   * the module store send their code inline.
   */
  public record StartInstance(
      String instanceId,
      String function,
      long version,
      InstanceKind kind,
      ModuleRef module,
      int memoryMb,
      int concurrency,
      Map<String, String> env,
      ActorRef<InstanceEvent> owner,
      long waitMs,
      boolean callersWaiting)
      implements Command {

    /** Without the values of {@code env}, where users keep secrets: a message may end up in a log line. */
    @Override
    public String toString() {
      return "StartInstance[instanceId=" + instanceId + ", function=" + function + ", version=" + version + ", kind="
          + kind + ", module=" + module + ", memoryMb=" + memoryMb + ", concurrency=" + concurrency + ", env="
          + (env == null ? null : new java.util.TreeSet<>(env.keySet())) + " (values hidden), owner=" + owner
          + ", waitMs=" + waitMs + ", callersWaiting=" + callersWaiting + "]";
    }

    /** A start that takes only free room (the regular track's placement after a reservation). */
    public StartInstance(
        String instanceId,
        String function,
        long version,
        InstanceKind kind,
        ModuleRef module,
        int memoryMb,
        int concurrency,
        Map<String, String> env,
        ActorRef<InstanceEvent> owner) {
      this(instanceId, function, version, kind, module, memoryMb, concurrency, env, owner, 0L, false);
    }

    public int reservedMb() {
      return memoryMb * Math.max(1, concurrency);
    }
  }

  /**
   * Set memory aside for a regular instance before its placement is written to the journal; the
   * owner gets {@link Reserved} or {@link InstanceFailed}. {@code waitMs} and {@code
   * callersWaiting} as for {@link StartInstance}.
   */
  public record Reserve(
      String instanceId,
      String function,
      InstanceKind kind,
      int memoryMb,
      int concurrency,
      ActorRef<InstanceEvent> owner,
      long waitMs,
      boolean callersWaiting)
      implements Command {

    public int reservedMb() {
      return memoryMb * Math.max(1, concurrency);
    }
  }

  public record StopInstance(String instanceId) implements Command {}

  /** The owner keeps an instance the Wavelet asked back with {@link Reclaim}. */
  public record ReclaimDeclined(String instanceId) implements Command {}

  /**
   * The owner still wants these emergency instances: their leases run {@code emergency-lease} from
   * now. An emergency instance whose lease lapses is stopped.
   */
  public record RenewLeases(List<String> instanceIds) implements Command {}

  /**
   * Runs one invocation on an instance. {@code invocationId} is the owner's id for the call, echoed
   * in {@link InvocationFinished} so that the owner knows which of an instance's calls ended. A large
   * input travels apart ({@code inputRef}, {@code input} then empty): the Wavelet fetches it first.
   * {@code requestId}: the call's id as its caller knows it, the guest's {@code
   * WAVELINK_INVOCATION_ID} ("" for none).
   */
  public record Invoke(
      String instanceId,
      long invocationId,
      byte[] input,
      long timeoutMs,
      boolean coldStart,
      ActorRef<InvocationReply> replyTo,
      ActorRef<InstanceEvent> owner,
      Blobs.Ref inputRef,
      String requestId)
      implements Command {

    public Invoke {
      requestId = requestId == null ? "" : requestId;
    }

    /** An invocation without a caller's id. */
    public Invoke(
        String instanceId,
        long invocationId,
        byte[] input,
        long timeoutMs,
        boolean coldStart,
        ActorRef<InvocationReply> replyTo,
        ActorRef<InstanceEvent> owner,
        Blobs.Ref inputRef) {
      this(instanceId, invocationId, input, timeoutMs, coldStart, replyTo, owner, inputRef, "");
    }

    /** An invocation with its input inline. */
    public Invoke(
        String instanceId,
        long invocationId,
        byte[] input,
        long timeoutMs,
        boolean coldStart,
        ActorRef<InvocationReply> replyTo,
        ActorRef<InstanceEvent> owner) {
      this(instanceId, invocationId, input, timeoutMs, coldStart, replyTo, owner, null);
    }
  }

  public record GetStatus(ActorRef<NodeStatus> replyTo) implements Command {}

  /** The regular instances the node's NodeEntity has assigned to it; others are stopped. */
  public record Reconcile(Set<String> assignedRegular) implements Command {}

  /** What a Wavelet tells an instance's owner. */
  public sealed interface InstanceEvent {}

  public record InstanceReady(
      String instanceId,
      InstanceKind kind,
      String nodeId,
      ActorRef<Command> wavelet,
      long startMicros)
      implements InstanceEvent {}

  public record InstanceFailed(String instanceId, String nodeId, boolean refused, String reason)
      implements InstanceEvent {}

  /**
   * One call on the instance has ended; its answer went to the caller. {@code peakMemoryBytes}: the
   * most linear memory the call held (what it touched, beside what its instance reserves). For the
   * function's invocation log: {@code status} (an {@link InvocationReply.Status} name, empty if not
   * known) and the reply's message, the execution time, and the end of its stderr (at most {@link
   * #STDERR_TAIL_MAX} chars).
   */
  public record InvocationFinished(
      String instanceId, long invocationId, long peakMemoryBytes, String status, String message, long durationMicros,
      String stderrTail)
      implements InstanceEvent {

    /** How much of a call's stderr tail travels to its owner's invocation log. */
    public static final int STDERR_TAIL_MAX = 1024;

    public InvocationFinished(String instanceId, long invocationId, long peakMemoryBytes) {
      this(instanceId, invocationId, peakMemoryBytes, "", "", 0L, "");
    }

    public InvocationFinished(String instanceId, long invocationId) {
      this(instanceId, invocationId, 0L);
    }

    /** The end of a call with its reply. */
    public static InvocationFinished of(String instanceId, long invocationId, long peakMemoryBytes, InvocationReply reply) {
      String tail = reply.stderrTail() == null ? "" : reply.stderrTail();
      if (tail.length() > STDERR_TAIL_MAX) {
        tail = tail.substring(tail.length() - STDERR_TAIL_MAX);
      }
      return new InvocationFinished(instanceId, invocationId, peakMemoryBytes, reply.status().name(),
          reply.message() == null ? "" : reply.message(), reply.durationMicros(), tail);
    }
  }

  /** Memory is set aside for the instance on this node (answer to {@link Reserve}). */
  public record Reserved(String instanceId, String nodeId, ActorRef<Command> wavelet)
      implements InstanceEvent {}

  /**
   * The node needs the memory of this idle instance for another function: the owner retires it
   * ({@link StopInstance}, and for a regular instance its removal from the journal) or answers
   * {@link ReclaimDeclined}.
   */
  public record Reclaim(String instanceId, String nodeId, ActorRef<Command> wavelet)
      implements InstanceEvent {}

  /**
   * A node as its Wavelet sees it. {@code allocatedMb}: memory its instances reserve; {@code
   * touchedMb}: the most linear memory one call of each touched, added up (reserved is not used);
   * {@code linearMemoryInUseMb}: linear memory held by calls running now; {@code reclaimableMb}:
   * memory of idle instances that could be asked back; {@code waitingMb}: memory requests wait for;
   * {@code modules}: modules whose bytes the node holds (in use or kept idle); {@code
   * moduleFetches}: modules it fetched from the module store since it started (once per module,
   * unless it was dropped in between).
   */
  public record NodeStatus(
      String nodeId,
      String member,
      int capacityMb,
      int allocatedMb,
      int inFlight,
      List<InstanceInfo> instances,
      boolean draining,
      int reclaimableMb,
      int waitingMb,
      int touchedMb,
      int linearMemoryInUseMb,
      int modules,
      long moduleFetches) {

    public NodeStatus(
        String nodeId,
        String member,
        int capacityMb,
        int allocatedMb,
        int inFlight,
        List<InstanceInfo> instances,
        boolean draining,
        int reclaimableMb,
        int waitingMb,
        int touchedMb,
        int linearMemoryInUseMb) {
      this(nodeId, member, capacityMb, allocatedMb, inFlight, instances, draining, reclaimableMb, waitingMb,
          touchedMb, linearMemoryInUseMb, 0, 0L);
    }

    public NodeStatus(
        String nodeId,
        String member,
        int capacityMb,
        int allocatedMb,
        int inFlight,
        List<InstanceInfo> instances,
        boolean draining) {
      this(nodeId, member, capacityMb, allocatedMb, inFlight, instances, draining, 0, 0, 0, 0);
    }
  }

  /**
   * {@code memoryMb}: what it reserves; {@code touchedMb}: the most linear memory one of its calls
   * touched; {@code idleMs}: how long it has had no call, -1 while it has calls or is not ready.
   */
  public record InstanceInfo(
      String instanceId,
      String function,
      long version,
      InstanceKind kind,
      int memoryMb,
      int inFlight,
      boolean ready,
      long idleMs,
      int touchedMb) {

    public InstanceInfo(
        String instanceId, String function, long version, InstanceKind kind, int memoryMb, int inFlight, boolean ready) {
      this(instanceId, function, version, kind, memoryMb, inFlight, ready, -1L, 0);
    }
  }
}
