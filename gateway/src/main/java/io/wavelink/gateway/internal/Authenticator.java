package io.wavelink.gateway.internal;

import io.wavelink.persistence.ApiKeyStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks the API key of a request ({@code Authorization: Bearer <key>}) against the keys in
 * Cassandra ({@link ApiKeyStore}), by the key's SHA-256.
 *
 * <ul>
 *   <li>What a lookup found, a key or no key, is kept for {@code cacheTtl} (1 s): the warm path
 *       costs one hash and one map read, and a revoked or expired key stops working within that.
 *   <li>A client address that fails {@code failuresPerMinute} times in a minute is answered 429 for
 *       the rest of that minute, without a lookup: guessing keys is slow, and a flood of wrong keys
 *       does not reach Cassandra.
 *   <li>A failure is logged with the address and the reason, never with the key presented.
 *   <li>When Cassandra does not answer, a key this gateway checked within {@code staleIfError} (5
 *       minutes) keeps the verdict it had then, and is looked up again once per {@code cacheTtl}: an
 *       outage of the key store does not stop the calls of clients it knew. The price: a key revoked
 *       in the second before an outage may work until the outage ends or {@code staleIfError} runs
 *       out. A key not seen within {@code staleIfError} cannot be checked: 503, not 401.
 * </ul>
 *
 * Thread-safe; {@link #check} never blocks.
 */
public final class Authenticator {

  private static final Logger log = LoggerFactory.getLogger(Authenticator.class);
  private static final String BEARER = "bearer ";
  /** Addresses whose failures are counted at once, at most; beyond, the oldest windows are dropped. */
  private static final int MAX_TRACKED = 10_000;

  /** The outcome of a check. */
  public sealed interface Result {}

  /** A valid key. */
  public record Allowed(ApiKeyStore.Key key) implements Result {}

  /** No key, or a wrong, revoked or expired one: 401. */
  public record Denied(String message) implements Result {}

  /** Too many failures from this address: 429 for {@code retryAfterSeconds}. */
  public record Throttled(long retryAfterSeconds) implements Result {}

  /** The key could not be checked now (Cassandra): 503. */
  public record Unavailable(String message) implements Result {}

  /** A lookup's result: trusted until {@code untilNanos}, found by a lookup that answered at {@code checkedNanos}. */
  private record Cached(Optional<ApiKeyStore.Key> key, long untilNanos, long checkedNanos) {}

  private record Failures(long windowStartMs, int count) {}

  private final Function<String, CompletionStage<Optional<ApiKeyStore.Key>>> lookup;
  private final Duration cacheTtl;
  private final Duration staleIfError;
  private final int failuresPerMinute;
  private final LongSupplier nanos;
  private final Clock clock;
  private final ConcurrentHashMap<String, Cached> cache = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Failures> failures = new ConcurrentHashMap<>();

  /**
   * @param lookup the key stored under a hash ({@link ApiKeyStore#find})
   */
  public Authenticator(
      Function<String, CompletionStage<Optional<ApiKeyStore.Key>>> lookup,
      Duration cacheTtl,
      int failuresPerMinute,
      LongSupplier nanos,
      Clock clock) {
    this(lookup, cacheTtl, Duration.ZERO, failuresPerMinute, nanos, clock);
  }

  /**
   * @param lookup the key stored under a hash ({@link ApiKeyStore#find})
   * @param staleIfError how long after its last answered lookup a key's verdict holds while the
   *     store does not answer
   */
  public Authenticator(
      Function<String, CompletionStage<Optional<ApiKeyStore.Key>>> lookup,
      Duration cacheTtl,
      Duration staleIfError,
      int failuresPerMinute,
      LongSupplier nanos,
      Clock clock) {
    this.lookup = lookup;
    this.cacheTtl = cacheTtl;
    this.staleIfError = staleIfError;
    this.failuresPerMinute = failuresPerMinute;
    this.nanos = nanos;
    this.clock = clock;
  }

  public static Authenticator of(ApiKeyStore store, Duration cacheTtl, Duration staleIfError, int failuresPerMinute) {
    return new Authenticator(store::find, cacheTtl, staleIfError, failuresPerMinute, System::nanoTime, Clock.systemUTC());
  }

  /** Checks the {@code Authorization} header (null if absent) of a request from {@code address}. */
  public CompletionStage<Result> check(String authorization, String address) {
    long throttledFor = throttledSeconds(address);
    if (throttledFor > 0) {
      return CompletableFuture.completedFuture(new Throttled(throttledFor));
    }
    if (authorization == null || !authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
      return CompletableFuture.completedFuture(
          fail(address, authorization == null ? "no Authorization header" : "not a Bearer key",
              "an API key is needed: Authorization: Bearer <key>"));
    }
    String hash = ApiKeyStore.hash(authorization.substring(BEARER.length()).strip());
    Cached cached = cache.get(hash);
    long now = nanos.getAsLong();
    if (cached != null && now < cached.untilNanos()) {
      return CompletableFuture.completedFuture(decide(cached.key(), address));
    }
    return lookup.apply(hash).handle((key, error) -> {
      long at = nanos.getAsLong();
      if (error != null) {
        if (cached != null && at - cached.checkedNanos() <= staleIfError.toNanos()) {
          // the store is down: the last verdict holds, and the next lookup waits a cache period
          cache.put(hash, new Cached(cached.key(), at + cacheTtl.toNanos(), cached.checkedNanos()));
          return decide(cached.key(), address);
        }
        return new Unavailable("the API key cannot be checked now: the key store (Cassandra) does not answer");
      }
      if (cache.size() > MAX_TRACKED) {
        cache.clear(); // bounded: wrong keys do not pile up
      }
      cache.put(hash, new Cached(key, at + cacheTtl.toNanos(), at));
      return decide(key, address);
    });
  }

  private Result decide(Optional<ApiKeyStore.Key> key, String address) {
    if (key.isEmpty()) {
      return fail(address, "unknown key", "the API key is not valid");
    }
    if (!key.get().valid(Instant.now(clock))) {
      return fail(address, "key " + key.get().id() + " revoked or expired", "the API key is revoked or expired");
    }
    return new Allowed(key.get());
  }

  private Result fail(String address, String why, String message) {
    long nowMs = clock.millis();
    Failures f = failures.compute(address, (a, old) ->
        old == null || nowMs - old.windowStartMs() >= 60_000 ? new Failures(nowMs, 1) : new Failures(old.windowStartMs(), old.count() + 1));
    if (failures.size() > MAX_TRACKED) {
      failures.entrySet().removeIf(e -> nowMs - e.getValue().windowStartMs() >= 60_000);
      if (failures.size() > MAX_TRACKED) {
        log.warn("Failed authentications from more than {} addresses this minute: their counts start again", MAX_TRACKED);
        failures.clear(); // bounded, whatever the number of addresses
      }
    }
    if (f.count() <= 3 || f.count() == failuresPerMinute) {
      log.warn("Authentication failed from {}: {} ({} failures from it this minute{})", address, why, f.count(),
          f.count() >= failuresPerMinute ? "; throttled for the rest of the minute" : "");
    }
    return new Denied(message);
  }

  private long throttledSeconds(String address) {
    Failures f = failures.get(address);
    if (f == null || f.count() < failuresPerMinute) {
      return 0;
    }
    long left = 60_000 - (clock.millis() - f.windowStartMs());
    return left <= 0 ? 0 : (left + 999) / 1000;
  }
}
