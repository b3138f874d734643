package io.wavelink.gateway.internal;

import java.time.Duration;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;

/**
 * Sends once more the invocations whose function's entity was lost with a crashed member, and only
 * those, once the function answers again.
 *
 * <p>When a member is removed after a crash (not after a graceful leave: its Wavelet drains, its
 * shards hand over, and nothing it had is lost), each function with invocations pending since
 * before the removal is probed ({@code Get}, within {@code probeTimeout}) until it answers: by then
 * Cluster Sharding routes to the function's home again, so a retry cannot follow the first attempt
 * into the void. If the entity that answers started after the removal, it is a new incarnation that
 * never knew those invocations: they are sent once more ({@link PendingInvocations#retryFunction}).
 * If it started before, it survived: it still tracks its calls, and answers {@code INSTANCE_LOST}
 * for those whose instance was lost, which the gateway retries at once. Probing stops when none of
 * the function's invocations is pending any more.
 *
 * <p>It also looks for calls unanswered for a while at their entities, every half {@code
 * checkInterval} ({@link PendingInvocations#dueForCheck}): a call that Cluster Sharding dropped on
 * the way (at a shard's old home, during a hand-over) is then sent once more.
 */
public final class LostCallRetries {

  /** How long a function's entity has run, as its status says; fails or times out if it does not answer. */
  @FunctionalInterface
  public interface Probe {
    CompletionStage<Long> uptimeMs(String function, Duration timeout);
  }

  /** Which of these calls (by the handles they were sent with) a function's entity does not hold. */
  @FunctionalInterface
  public interface Finder {
    CompletionStage<java.util.Set<Object>> notHeld(String function, java.util.List<Object> handles, Duration timeout);
  }

  /** The most calls of one function looked for in one check. */
  static final int MAX_CHECKED_PER_FUNCTION = 500;

  private record ProbeFunction(String function, long removedAtNanos) {}

  private enum CheckCalls {
    INSTANCE
  }

  private record Found(PendingInvocations.Check check, java.util.Set<Object> notHeld) {}

  private record Answered(String function, long removedAtNanos, long answeredAtNanos, Long uptimeMs) {}

  private LostCallRetries() {}

  /** Whether a member removed from {@code previousStatus} crashed (downed), rather than left gracefully. */
  static boolean crashed(MemberStatus previousStatus) {
    return !MemberStatus.exiting().equals(previousStatus) && !MemberStatus.leaving().equals(previousStatus);
  }

  /**
   * Whether the entity that answered at {@code answeredAtNanos}, having run {@code uptimeMs}, started
   * after the removal (a new incarnation on another member). The answer's travel time makes the
   * estimate later than the true start, never earlier, by milliseconds.
   */
  static boolean moved(long answeredAtNanos, long uptimeMs, long removedAtNanos) {
    return answeredAtNanos - uptimeMs * 1_000_000L > removedAtNanos;
  }

  public static Behavior<Object> create(
      PendingInvocations pending, Probe probe, Duration probeTimeout, Finder finder, Duration checkInterval) {
    return Behaviors.setup(
        ctx -> {
          ActorRef<ClusterEvent.MemberRemoved> self = ctx.getSelf().narrow();
          Cluster.get(ctx.getSystem()).subscriptions().tell(Subscribe.create(self, ClusterEvent.MemberRemoved.class));
          return Behaviors.withTimers(
              timers -> {
                timers.startTimerWithFixedDelay(CheckCalls.INSTANCE, checkInterval.dividedBy(2));
                return Behaviors.receive(Object.class)
                      .onMessageEquals(
                          CheckCalls.INSTANCE,
                          () -> {
                            for (PendingInvocations.Check c : pending.dueForCheck(System.nanoTime(), MAX_CHECKED_PER_FUNCTION)) {
                              ctx.pipeToSelf(
                                  finder.notHeld(c.function(), c.handles(), probeTimeout),
                                  (notHeld, error) -> new Found(c, error == null ? notHeld : null));
                            }
                            return Behaviors.same();
                          })
                      .onMessage(
                          Found.class,
                          f -> {
                            if (f.notHeld() != null) { // no answer: looked for again at the next check
                              int n = pending.checked(f.check(), f.notHeld());
                              if (n > 0) {
                                ctx.getLog().info("Function {}: {} invocations its entity does not hold (lost on the way) sent once more",
                                    f.check().function(), n);
                              }
                            }
                            return Behaviors.same();
                          })
                      .onMessage(
                          ClusterEvent.MemberRemoved.class,
                          removed -> {
                            if (!crashed(removed.previousStatus())) {
                              ctx.getLog().info("Member {} left gracefully: no invocation is sent again", removed.member().address());
                              return Behaviors.same();
                            }
                            long removedAt = System.nanoTime();
                            var functions = pending.functionsWaitingSince(removedAt);
                            ctx.getLog().info("Member {} removed after a crash: probing {} functions with invocations pending",
                                removed.member().address(), functions.size());
                            functions.forEach(f -> ctx.getSelf().tell(new ProbeFunction(f, removedAt)));
                            return Behaviors.same();
                          })
                      .onMessage(
                          ProbeFunction.class,
                          p -> {
                            if (pending.functionsWaitingSince(p.removedAtNanos()).contains(p.function())) {
                              ctx.pipeToSelf(
                                  probe.uptimeMs(p.function(), probeTimeout),
                                  (uptime, error) -> new Answered(p.function(), p.removedAtNanos(), System.nanoTime(), error == null ? uptime : null));
                            }
                            return Behaviors.same();
                          })
                      .onMessage(
                          Answered.class,
                          a -> {
                            if (a.uptimeMs() == null) {
                              // not answering yet (its shard is moving): ask again shortly
                              timers.startSingleTimer(
                                  a.function() + "#" + a.removedAtNanos(), new ProbeFunction(a.function(), a.removedAtNanos()),
                                  Duration.ofMillis(250));
                              return Behaviors.same();
                            }
                            if (moved(a.answeredAtNanos(), a.uptimeMs(), a.removedAtNanos())) {
                              int n = pending.retryFunction(a.function(), a.removedAtNanos(), "member-removed");
                              ctx.getLog().info("Function {} moved after the crash: {} pending invocations sent once more", a.function(), n);
                            }
                            return Behaviors.same();
                          })
                      .build();
              });
        });
  }
}
