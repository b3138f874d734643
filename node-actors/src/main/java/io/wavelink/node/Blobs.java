package io.wavelink.node;

import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Large invocation payloads, moved apart from the messages that refer to them, so that one large
 * transfer never delays a small message: invocations, their answers and the control plane travel on
 * Artery's ordinary lane, and only blobs take the large-message lane (the {@code /system/blobs}
 * actor of every member is its one destination).
 *
 * <p>A payload over {@code inline-limit} is put here by the member that has it (the gateway for an
 * invocation's input, the Wavelet for its output) and travels as a {@link Ref}; whoever needs the
 * bytes gets them with {@link #get}: at once when the blob is on this member, else with a {@link
 * Fetch} to the member that holds it, answered by {@link Data} to this member's blob actor. A blob
 * lives until it is removed or its time to live passes; an output blob is removed when it has been
 * fetched (its one reader is the gateway), an input blob when its call is answered (a retried call
 * reads it again).
 *
 * <p>One per member, created by the member and started with {@link #start}; thread-safe.
 */
public final class Blobs {

  /** Where the blob actor lives: {@code /system/blobs}, the large-message lane's destination. */
  public static final String ACTOR_NAME = "blobs";

  /** A blob on the member whose blob actor is {@code store}. */
  public record Ref(ActorRef<Command> store, String id, int size) {}

  public sealed interface Command {}

  /** Asks a member's blob actor for a blob; the answer goes to {@code replyTo}, another blob actor. */
  public record Fetch(String id, long requestId, boolean remove, ActorRef<Command> replyTo) implements Command {}

  /** The answer to a {@link Fetch}: the bytes, or {@code found} false. */
  public record Data(long requestId, boolean found, byte[] bytes) implements Command {}

  private enum Sweep implements Command, NoSerializationVerificationNeeded {
    INSTANCE
  }

  private record Entry(byte[] bytes, long expiresAtNanos) {}

  private final int inlineLimit;
  private final Map<String, Entry> blobs = new ConcurrentHashMap<>();
  private final Map<Long, CompletableFuture<byte[]>> fetching = new ConcurrentHashMap<>();
  private final AtomicLong requests = new AtomicLong();
  private final Duration fetchTimeout;
  private volatile ActorRef<Command> self;

  /**
   * @param inlineLimit payloads up to this many bytes travel inside their messages
   * @param fetchTimeout how long {@link #get} waits for a remote blob
   */
  public Blobs(int inlineLimit, Duration fetchTimeout) {
    this.inlineLimit = inlineLimit;
    this.fetchTimeout = fetchTimeout;
  }

  /** Starts this member's blob actor; call once, before {@link #put}. */
  public Blobs start(ActorSystem<?> system) {
    self = system.systemActorOf(behavior(), ACTOR_NAME, Props.empty());
    return this;
  }

  /** Whether {@code bytes} should travel as a blob rather than inside a message. */
  public boolean large(byte[] bytes) {
    return bytes.length > inlineLimit;
  }

  /** Keeps {@code bytes} here for at most {@code ttl}; the reference travels instead. */
  public Ref put(byte[] bytes, Duration ttl) {
    String id = UUID.randomUUID().toString();
    blobs.put(id, new Entry(bytes, System.nanoTime() + ttl.toNanos()));
    return new Ref(self, id, bytes.length);
  }

  /** Drops a blob held here (a no-op for one held elsewhere or already gone). */
  public void remove(Ref ref) {
    if (ref.store().equals(self)) {
      blobs.remove(ref.id());
    }
  }

  /**
   * The bytes of {@code ref}: at once if they are here, else fetched from the member that holds
   * them; fails if the blob is gone or does not come within the fetch timeout. {@code remove}: the
   * caller is its last reader.
   */
  public CompletionStage<byte[]> get(Ref ref, boolean remove) {
    if (ref.store().equals(self)) {
      Entry e = remove ? blobs.remove(ref.id()) : blobs.get(ref.id());
      return e != null
          ? CompletableFuture.completedFuture(e.bytes())
          : CompletableFuture.failedFuture(new IllegalStateException("blob " + ref.id() + " is gone"));
    }
    long request = requests.incrementAndGet();
    CompletableFuture<byte[]> answer = new CompletableFuture<>();
    fetching.put(request, answer);
    ref.store().tell(new Fetch(ref.id(), request, remove, self));
    return answer
        .orTimeout(fetchTimeout.toMillis(), TimeUnit.MILLISECONDS)
        .whenComplete((bytes, error) -> fetching.remove(request));
  }

  /** Blobs held on this member now (for tests and the node's status). */
  public int held() {
    return blobs.size();
  }

  private Behavior<Command> behavior() {
    return Behaviors.withTimers(
        timers -> {
          timers.startTimerWithFixedDelay(Sweep.INSTANCE, Duration.ofSeconds(5));
          return Behaviors.receive(Command.class)
              .onMessage(
                  Fetch.class,
                  f -> {
                    Entry e = f.remove() ? blobs.remove(f.id()) : blobs.get(f.id());
                    f.replyTo().tell(new Data(f.requestId(), e != null, e == null ? new byte[0] : e.bytes()));
                    return Behaviors.same();
                  })
              .onMessage(
                  Data.class,
                  d -> {
                    CompletableFuture<byte[]> answer = fetching.remove(d.requestId());
                    if (answer != null) {
                      if (d.found()) {
                        answer.complete(d.bytes());
                      } else {
                        answer.completeExceptionally(new IllegalStateException("the blob is gone"));
                      }
                    }
                    return Behaviors.same();
                  })
              .onMessageEquals(
                  Sweep.INSTANCE,
                  () -> {
                    long now = System.nanoTime();
                    blobs.values().removeIf(e -> e.expiresAtNanos() <= now);
                    return Behaviors.same();
                  })
              .build();
        });
  }
}
