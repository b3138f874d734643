package io.wavelink.benchmarks;

import io.wavelink.gateway.internal.Authenticator;
import io.wavelink.persistence.ApiKeyStore;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * What the API key check adds to a warm call: {@link Authenticator#check} of a key already in the
 * gateway's cache (the SHA-256 of the key, one map read, the validity check), as every call but the
 * first per second and key pays it. The store is never reached here (the lookup is a completed
 * future).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class AuthenticatorBenchmark {

  Authenticator auth;
  String header;

  @Setup
  public void setUp() {
    String key = ApiKeyStore.newSecret();
    String hash = ApiKeyStore.hash(key);
    ApiKeyStore.Key stored = new ApiKeyStore.Key("admin", "admin", "", null, false);
    auth = new Authenticator(
        h -> CompletableFuture.completedFuture(h.equals(hash) ? Optional.of(stored) : Optional.empty()),
        Duration.ofHours(1), 20, System::nanoTime, Clock.systemUTC());
    header = "Bearer " + key;
    auth.check(header, "127.0.0.1").toCompletableFuture().join(); // cached from now on
  }

  @Benchmark
  public Object cachedKey() {
    return auth.check(header, "127.0.0.1").toCompletableFuture().join();
  }
}
