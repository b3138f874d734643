package io.wavelink.gateway.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.wavelink.persistence.ApiKeyStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class AuthenticatorTest {

  /** A clock the test moves. */
  private static final class FakeClock extends Clock {
    long ms = 1_700_000_000_000L;

    @Override public ZoneOffset getZone() {
      return ZoneOffset.UTC;
    }

    @Override public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override public Instant instant() {
      return Instant.ofEpochMilli(ms);
    }
  }

  private final FakeClock clock = new FakeClock();
  private final Map<String, ApiKeyStore.Key> stored = new HashMap<>();
  private final AtomicInteger lookups = new AtomicInteger();
  private boolean storeDown;
  private final Authenticator auth = new Authenticator(hash -> {
    lookups.incrementAndGet();
    return storeDown
        ? CompletableFuture.failedFuture(new RuntimeException("no Cassandra"))
        : CompletableFuture.completedFuture(Optional.ofNullable(stored.get(hash)));
  }, Duration.ofSeconds(1), Duration.ofMinutes(5), 5, () -> clock.ms * 1_000_000L, clock);

  private Authenticator.Result check(String header, String address) {
    return auth.check(header, address).toCompletableFuture().join();
  }

  @Test
  void aStoredKeyIsAllowedAndLookedUpOncePerCacheTtl() {
    String key = ApiKeyStore.newSecret();
    stored.put(ApiKeyStore.hash(key), new ApiKeyStore.Key("k1", "admin", "", null, false));
    assertInstanceOf(Authenticator.Allowed.class, check("Bearer " + key, "a"));
    assertInstanceOf(Authenticator.Allowed.class, check("bearer  " + key, "a"));
    assertEquals(1, lookups.get(), "the second from the cache");

    stored.put(ApiKeyStore.hash(key), new ApiKeyStore.Key("k1", "admin", "", null, true)); // revoked
    assertInstanceOf(Authenticator.Allowed.class, check("Bearer " + key, "a"), "within the cache's second");
    clock.ms += 1_001;
    assertInstanceOf(Authenticator.Denied.class, check("Bearer " + key, "a"), "revoked, seen after the cache's second");
  }

  @Test
  void noKeyAWrongOneOrAnExpiredOneIsDenied() {
    assertInstanceOf(Authenticator.Denied.class, check(null, "a"));
    assertInstanceOf(Authenticator.Denied.class, check("Basic dXNlcjpwYXNz", "a"));
    assertInstanceOf(Authenticator.Denied.class, check("Bearer wlk_wrong", "a"));
    String key = ApiKeyStore.newSecret();
    stored.put(ApiKeyStore.hash(key), new ApiKeyStore.Key("k2", "developer", "ns", Instant.ofEpochMilli(clock.ms - 1), false));
    assertInstanceOf(Authenticator.Denied.class, check("Bearer " + key, "b"));
  }

  @Test
  void anAddressThatKeepsFailingIsThrottledForTheRestOfTheMinuteOthersAreNot() {
    for (int i = 0; i < 5; i++) {
      assertInstanceOf(Authenticator.Denied.class, check("Bearer wlk_guess" + i, "attacker"));
    }
    int before = lookups.get();
    Authenticator.Result throttled = check("Bearer wlk_guess5", "attacker");
    assertEquals(new Authenticator.Throttled(60), throttled);
    assertEquals(before, lookups.get(), "a throttled request reaches no store");
    String key = ApiKeyStore.newSecret();
    stored.put(ApiKeyStore.hash(key), new ApiKeyStore.Key("k3", "admin", "", null, false));
    assertInstanceOf(Authenticator.Allowed.class, check("Bearer " + key, "someone-else"));
    clock.ms += 30_000;
    assertEquals(new Authenticator.Throttled(30), check("Bearer " + key, "attacker"), "even with a right key");
    clock.ms += 30_000;
    assertInstanceOf(Authenticator.Allowed.class, check("Bearer " + key, "attacker"), "a new minute");
  }

  @Test
  void aKeyThatCannotBeCheckedIsUnavailableNotDenied() {
    storeDown = true;
    assertInstanceOf(Authenticator.Unavailable.class, check("Bearer " + ApiKeyStore.newSecret(), "a"));
  }

  @Test
  void aKnownKeyKeepsItsVerdictThroughAnOutageOfTheStoreForStaleIfError() {
    String key = ApiKeyStore.newSecret();
    String revoked = ApiKeyStore.newSecret();
    stored.put(ApiKeyStore.hash(key), new ApiKeyStore.Key("k4", "invoker", "", null, false));
    stored.put(ApiKeyStore.hash(revoked), new ApiKeyStore.Key("k5", "invoker", "", null, true));
    assertInstanceOf(Authenticator.Allowed.class, check("Bearer " + key, "a"));
    assertInstanceOf(Authenticator.Denied.class, check("Bearer " + revoked, "b"));
    storeDown = true;
    clock.ms += 2_000;
    int before = lookups.get();
    assertInstanceOf(Authenticator.Allowed.class, check("Bearer " + key, "a"), "the last verdict holds");
    assertInstanceOf(Authenticator.Allowed.class, check("Bearer " + key, "a"));
    assertEquals(before + 1, lookups.get(), "one lookup a cache period while the store is down, not one a request");
    assertInstanceOf(Authenticator.Denied.class, check("Bearer " + revoked, "b"), "a denied key stays denied");
    assertInstanceOf(Authenticator.Unavailable.class, check("Bearer " + ApiKeyStore.newSecret(), "c"), "an unknown key cannot be checked");
    clock.ms += 5 * 60_000;
    assertInstanceOf(Authenticator.Unavailable.class, check("Bearer " + key, "a"), "not beyond stale-if-error");
    storeDown = false;
    assertInstanceOf(Authenticator.Allowed.class, check("Bearer " + key, "a"), "checked again once the store answers");
  }
}
