package io.wavelink.benchmarks;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.wavelink.cluster.WaveLinkMember;
import io.wavelink.function.FunctionEntity;
import io.wavelink.function.FunctionStatus;
import io.wavelink.function.FunctionSpec;
import io.wavelink.node.InvocationReply;
import io.wavelink.node.ModuleRef;
import io.wavelink.node.sandbox.ExampleFunctions;
import io.wavelink.persistence.CassandraServer;
import io.wavelink.persistence.ModuleStore;
import io.wavelink.persistence.Schema;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * An in-process WaveLink member for the benchmarks, started as the end-to-end tests start one
 * ({@link WaveLinkMember#start} with a real Cassandra), with a node large enough that capacity never
 * limits the emergency track, and helpers to deploy and inspect functions through Cluster Sharding.
 */
final class BenchmarkMember implements AutoCloseable {

  static final Duration CONTROL_TIMEOUT = Duration.ofSeconds(30);

  final WaveLinkMember member;
  final ClusterSharding sharding;

  private BenchmarkMember(WaveLinkMember member) {
    this.member = member;
    this.sharding = ClusterSharding.get(member.system());
  }

  /**
   * The CQL endpoint to use: {@code --cassandra host:port} (its schema is applied, idempotently),
   * else a Cassandra started here on free ports under {@code workDir}, stopped when this JVM exits.
   */
  static String cassandra(Args args, Path workDir) throws Exception {
    if (args.has("cassandra")) {
      String contactPoint = args.string("cassandra", "");
      Schema.apply(contactPoint, CassandraServer.DATACENTER);
      return contactPoint;
    }
    CassandraServer server =
        CassandraServer.start(CassandraServer.Settings.defaults(workDir).withFreePorts());
    Runtime.getRuntime().addShutdownHook(new Thread(server::stop, "benchmark-cassandra-stop"));
    server.awaitReady(Duration.ofMinutes(3));
    Schema.apply(server.contactPoint(), CassandraServer.DATACENTER);
    return server.contactPoint();
  }

  /**
   * Starts a member with every role against {@code contactPoint}; the gateway on 127.0.0.1:{@code
   * httpPort} (0: any free port); waits until it is Up.
   */
  static BenchmarkMember start(String contactPoint, int httpPort, Map<String, Object> overrides)
      throws Exception {
    Map<String, Object> values = new HashMap<>();
    values.put("wavelink.gateway.host", "127.0.0.1");
    values.put("wavelink.gateway.port", httpPort);
    values.put("pekko.remote.artery.canonical.hostname", "127.0.0.1");
    values.put("pekko.remote.artery.canonical.port", 0);
    values.put("pekko.coordinated-shutdown.exit-jvm", "off");
    values.put("wavelink.persistence.cassandra.contact-points", List.of(contactPoint));
    // a node far larger than the machine: capacity never refuses an emergency instance here
    values.put("wavelink.node.capacity-mb", 1_000_000);
    values.put("wavelink.function.emergency.budget", 1000);
    values.put("wavelink.function.queue.capacity", 10_000);
    values.putAll(overrides);
    Config config =
        ConfigFactory.load(
            ConfigFactory.parseMap(values)
                .withFallback(ConfigFactory.parseResourcesAnySyntax("application")));
    WaveLinkMember member = WaveLinkMember.start(config);
    BenchmarkMember m = new BenchmarkMember(member);
    m.await("member Up", Duration.ofSeconds(60),
        () -> Cluster.get(member.system()).selfMember().status() == MemberStatus.up());
    // the specs of echo() name the module by hash: put it in the module store, as the gateway does
    ModuleStore.create(member.system()).store(ECHO_SHA256, ECHO).toCompletableFuture().get(60, TimeUnit.SECONDS);
    return m;
  }

  interface Check {
    boolean ok() throws Exception;
  }

  void await(String what, Duration deadline, Check check) throws Exception {
    long end = System.nanoTime() + deadline.toNanos();
    Exception last = null;
    while (System.nanoTime() < end) {
      try {
        if (check.ok()) {
          return;
        }
      } catch (Exception e) {
        last = e;
      }
      LockSupport.parkNanos(Duration.ofMillis(100).toNanos());
    }
    throw new IllegalStateException("timed out waiting for " + what, last);
  }

  EntityRef<FunctionEntity.Command> function(String name) {
    return sharding.entityRefFor(FunctionEntity.TYPE_KEY, name);
  }

  private static final byte[] ECHO = ExampleFunctions.load("echo");
  private static final String ECHO_SHA256 = ModuleStore.sha256(ECHO);

  /**
   * An echo function; {@code regularTrackDelayMs} and scale as given, mode dual. Its module is in
   * the module store ({@link #start} puts it there), named by its hash.
   */
  static FunctionSpec echo(
      String name, int concurrency, int minScale, int maxScale, long regularTrackDelayMs) {
    return new FunctionSpec(
        name, FunctionSpec.WASM, ModuleRef.stored(ECHO_SHA256, ECHO.length), 64, 10_000, concurrency, minScale,
        maxScale, Map.of(), "dual", regularTrackDelayMs, Map.of());
  }

  void deploy(FunctionSpec spec) throws Exception {
    FunctionEntity.DeployReply reply =
        function(spec.name())
            .<FunctionEntity.DeployReply>ask(
                r -> new FunctionEntity.Deploy(spec, 0, r), CONTROL_TIMEOUT)
            .toCompletableFuture()
            .get(CONTROL_TIMEOUT.toSeconds() + 5, TimeUnit.SECONDS);
    if (!(reply instanceof FunctionEntity.Deployed)) {
      throw new IllegalStateException("deploy of " + spec.name() + " failed: " + reply);
    }
  }

  /** Deploys every spec, {@code parallel} at a time. */
  void deployAll(List<FunctionSpec> specs, int parallel) throws Exception {
    Semaphore permits = new Semaphore(parallel);
    List<CompletableFuture<FunctionEntity.DeployReply>> all = new ArrayList<>();
    for (FunctionSpec spec : specs) {
      permits.acquire();
      CompletableFuture<FunctionEntity.DeployReply> f =
          function(spec.name())
              .<FunctionEntity.DeployReply>ask(
                  r -> new FunctionEntity.Deploy(spec, 0, r), CONTROL_TIMEOUT)
              .toCompletableFuture();
      f.whenCompleteAsync((r, e) -> permits.release(), member.system().executionContext());
      all.add(f);
    }
    for (int i = 0; i < all.size(); i++) {
      FunctionEntity.DeployReply reply = all.get(i).get(CONTROL_TIMEOUT.toSeconds() + 5, TimeUnit.SECONDS);
      if (!(reply instanceof FunctionEntity.Deployed)) {
        throw new IllegalStateException("deploy of " + specs.get(i).name() + " failed: " + reply);
      }
    }
  }

  void delete(String name) throws Exception {
    function(name)
        .<FunctionEntity.DeleteReply>ask(FunctionEntity.Delete::new, CONTROL_TIMEOUT)
        .toCompletableFuture()
        .get(CONTROL_TIMEOUT.toSeconds() + 5, TimeUnit.SECONDS);
  }

  FunctionStatus status(String name) throws Exception {
    return function(name)
        .<FunctionStatus>ask(FunctionEntity.Get::new, CONTROL_TIMEOUT)
        .toCompletableFuture()
        .get(CONTROL_TIMEOUT.toSeconds() + 5, TimeUnit.SECONDS);
  }

  InvocationReply invoke(String name, String input) throws Exception {
    return function(name)
        .<InvocationReply>ask(
            r -> new FunctionEntity.Invoke(input.getBytes(StandardCharsets.UTF_8), r),
            CONTROL_TIMEOUT)
        .toCompletableFuture()
        .get(CONTROL_TIMEOUT.toSeconds() + 5, TimeUnit.SECONDS);
  }

  int httpPort() {
    return member.httpPort();
  }

  @Override
  public void close() {
    member.close();
  }
}
