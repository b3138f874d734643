package io.wavelink.function;

import io.wavelink.node.Blobs;
import io.wavelink.node.InvocationReply;
import io.wavelink.node.NodeEntity;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The messages a {@link FunctionEntity} takes from outside and its replies: every one crosses
 * members (Protobuf, {@code FunctionSerializer}). The entity implements this interface, so they are
 * named {@code FunctionEntity.Invoke} and so on; its internal messages stay in the entity.
 */
public interface FunctionProtocol {

  public interface Command {}

  public record Deploy(FunctionSpec spec, long expectedVersion, ActorRef<DeployReply> replyTo)
      implements Command {}

  public record Delete(ActorRef<DeleteReply> replyTo) implements Command {}

  public record Get(ActorRef<FunctionStatus> replyTo) implements Command {}

  /**
   * From a gateway with calls long unanswered: which of these calls (their reply-to) this entity
   * holds neither queued nor running. Answered {@link CallsNotHeld}; a call missing twice in a row was
   * lost on the way (Cluster Sharding drops messages that reach a shard's old home during a hand-over)
   * and is sent once more.
   */
  public record FindCalls(List<ActorRef<InvocationReply>> calls, ActorRef<CallsNotHeld> replyTo) implements Command {}

  public record CallsNotHeld(List<ActorRef<InvocationReply>> calls) {}

  /**
   * The function's invocation log: the entries numbered after {@code after}, oldest first, at most
   * {@code limit}; with {@code after} below zero, the {@code limit} most recent. Answered {@link Logs}.
   */
  public record GetLogs(long after, int limit, ActorRef<Logs> replyTo) implements Command {}

  /**
   * A page of the invocation log ({@code found} false: the function is not deployed). {@code next}:
   * the number to ask after for later entries; {@code missed}: entries after the one asked for that
   * the log no longer holds.
   */
  public record Logs(boolean found, List<LogEntry> entries, long next, long missed) {}

  /**
   * One call, numbered in the order calls ended: one that ran on an instance, or one the function
   * answered itself (no instance: queue full, timed out while queued, lost). {@code status}: an
   * InvocationReply.Status name ("" if its node did not say) and {@code message} its reply's;
   * {@code durationMicros}: its execution.
   */
  public record LogEntry(
      long seq, long atMs, String instanceId, String kind, String nodeId, String status, String message,
      long durationMicros, String stderrTail) {}

  /**
   * An invocation; a large input travels apart ({@code inputRef}, {@link Blobs}; {@code input} then
   * empty). {@code requestId}: the call's id as its caller knows it (the gateway's {@code
   * X-WaveLink-Invocation-Id}, an async call's id), which the guest sees as {@code
   * WAVELINK_INVOCATION_ID}; "" for none. A second attempt of the same call carries the same id.
   */
  public record Invoke(byte[] input, ActorRef<InvocationReply> replyTo, Blobs.Ref inputRef, String requestId)
      implements Command {

    public Invoke {
      requestId = requestId == null ? "" : requestId;
    }

    public Invoke(byte[] input, ActorRef<InvocationReply> replyTo) {
      this(input, replyTo, null, "");
    }

    public Invoke(byte[] input, ActorRef<InvocationReply> replyTo, Blobs.Ref inputRef) {
      this(input, replyTo, inputRef, "");
    }
  }

  public enum Wake implements Command {
    INSTANCE
  }

  /**
   * Anti-entropy, from a NodeEntity: does this function still want {@code instanceId} on {@code
   * nodeId}? Answered {@link NodeEntity.PlacementChecked}; the node releases what is not wanted.
   */
  public record CheckPlacement(String instanceId, String nodeId, ActorRef<NodeEntity.Command> replyTo)
      implements Command {}

  public sealed interface DeployReply {}

  public record Deployed(long version, boolean created) implements DeployReply {}

  public record DeployRejected(Reason reason, String message) implements DeployReply {
    public enum Reason {
      CONFLICT,
      UNAVAILABLE,
      INVALID
    }
  }

  public record DeleteReply(boolean found, boolean unavailable, String message) {}
}
