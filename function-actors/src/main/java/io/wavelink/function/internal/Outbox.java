package io.wavelink.function.internal;

import io.wavelink.node.InvocationReply;
import io.wavelink.node.NodeDirectory;
import io.wavelink.node.NodeEntity;
import io.wavelink.node.Wavelet;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * What a function's plain classes ask of the world, and the only way they reach it: the entity
 * implements it with messages, asks and timers, and unit tests with a recording fake. Answers to
 * what they ask (a journal write, a timer) come back to them through the entity.
 */
public interface Outbox {

  /** The entity's clock, in ms. */
  long nowMs();

  /** The member's current view of the worker nodes. */
  NodeDirectory.View nodes();

  /** The entity's address as the owner of instances (what Wavelets answer to). */
  ActorRef<Wavelet.InstanceEvent> owner();

  void toWavelet(ActorRef<Wavelet.Command> wavelet, Wavelet.Command command);

  /** To the sharded NodeEntity of {@code nodeId} (the regular track's durable placements). */
  void toNode(String nodeId, NodeEntity.Command command);

  void answer(ActorRef<InvocationReply> caller, InvocationReply reply);

  /** Writes a regular-track change to the function's journal; its outcome comes back to {@link RegularTrack}. */
  void journal(JournalWrite write);

  /**
   * Reads the function's journal state (its FunctionStore's desired regular instances); the answer
   * goes to {@link RegularTrack#reconcile}.
   */
  void readJournal();

  /** {@link RegularTrack#placeNow} of this instance after {@code delayMs}. */
  void placeAfter(String instanceId, long delayMs);

  /** A regular-track change for the function's journal (its FunctionStore). */
  sealed interface JournalWrite {
    String instanceId();
  }

  /** A new desired instance and the node it has room on. */
  record Add(String instanceId, String nodeId) implements JournalWrite {}

  /** A desired instance (already in the journal) is placed on a node. */
  record Assign(String instanceId, String nodeId) implements JournalWrite {}

  /** An instance is no longer desired. */
  record Remove(String instanceId) implements JournalWrite {}
}
