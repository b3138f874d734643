package io.wavelink.cluster;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.wavelink.function.FunctionCatalog;
import io.wavelink.function.FunctionEntity;
import io.wavelink.function.FunctionSettings;
import io.wavelink.gateway.GatewaySettings;
import io.wavelink.gateway.HttpApi;
import io.wavelink.node.Blobs;
import io.wavelink.node.NodeDirectory;
import io.wavelink.node.NodeEntity;
import io.wavelink.node.NodeSettings;
import io.wavelink.node.Wavelet;
import io.wavelink.node.sandbox.SandboxRuntime;
import io.wavelink.node.sandbox.wasm.WasmSandboxRuntime;
import io.wavelink.persistence.CassandraServer;
import io.wavelink.persistence.JournalHealth;
import io.wavelink.gateway.AdminKey;
import io.wavelink.gateway.AsyncDispatcher;
import io.wavelink.gateway.AsyncSettings;
import io.wavelink.gateway.AuthSettings;
import io.wavelink.persistence.AsyncStore;
import io.wavelink.gateway.internal.Authenticator;
import io.wavelink.persistence.ApiKeyStore;
import io.wavelink.persistence.ModuleStore;
import io.wavelink.persistence.Schema;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import kamon.Kamon;
import kamon.prometheus.PrometheusReporter;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One WaveLink cluster member: an actor system with the roles its configuration gives it. With
 * {@code control} it hosts the Function, FunctionCatalog and Node shards; with {@code worker} a
 * Wavelet and its sandboxes; with {@code gateway} the HTTP API. A member with no seed nodes
 * configured forms a cluster of its own.
 */
public final class WaveLinkMember implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(WaveLinkMember.class);
  private static final AtomicBoolean kamonStarted = new AtomicBoolean();

  private final ActorSystem<Void> system;
  private final ServerBinding binding;
  private final SandboxRuntime runtime;
  private final ExecutorService sandboxPool;
  private final ExecutorService preparePool;

  private WaveLinkMember(
      ActorSystem<Void> system,
      ServerBinding binding,
      SandboxRuntime runtime,
      ExecutorService sandboxPool,
      ExecutorService preparePool) {
    this.system = system;
    this.binding = binding;
    this.runtime = runtime;
    this.sandboxPool = sandboxPool;
    this.preparePool = preparePool;
  }

  /** Starts a member and waits until its HTTP API (if it has the gateway role) is bound. */
  public static WaveLinkMember start(Config config) throws Exception {
    checkConfigurationOrder(config);
    if (kamonStarted.compareAndSet(false, true)) {
      Kamon.init(config);
    }
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "wavelink", config);
    MemberSettings member = MemberSettings.create(config);
    Cluster cluster = Cluster.get(system);
    if (config.getStringList("pekko.cluster.seed-nodes").isEmpty()) {
      cluster.manager().tell(Join.create(cluster.selfMember().address()));
    }
    ClusterSharding sharding = ClusterSharding.get(system);
    String selfId = "node-" + system.address().getHost().orElse("local").replace('.', '-') + "-"
        + system.address().getPort().orElse(0);
    NodeSettings nodeSettings = NodeSettings.create(config, selfId);
    FunctionSettings functionSettings = FunctionSettings.create(config);

    NodeDirectory directory = new NodeDirectory();
    system.systemActorOf(directory.behavior(member.directoryRefresh(), member.forgetDownAfter()), "node-directory", org.apache.pekko.actor.typed.Props.empty());

    // every member initialises the shard regions: members without the control role get proxies
    // anti-entropy: each node checks its placements with their functions
    NodeEntity.init(
        sharding,
        MemberSettings.CONTROL,
        (function, instanceId, nodeId, replyTo) ->
            sharding.entityRefFor(FunctionEntity.TYPE_KEY, function)
                .tell(new FunctionEntity.CheckPlacement(instanceId, nodeId, replyTo)),
        config.getDuration("wavelink.node.placement-check-every"));
    FunctionCatalog.init(sharding, MemberSettings.CONTROL);
    FunctionEntity.init(
        system,
        sharding,
        new FunctionEntity.Deps(functionSettings, directory, sharding, System::currentTimeMillis),
        MemberSettings.CONTROL);

    // linear memory is bounded by what the node offers (its admissions keep use within it)
    SandboxRuntime runtime =
        new WasmSandboxRuntime(nodeSettings.maxOutputBytes(), 64 * 1024, (long) nodeSettings.capacityMb() << 20);
    ExecutorService sandboxPool = Executors.newFixedThreadPool(nodeSettings.sandboxThreads(), daemonThreads("wavelink-sandbox"));
    ExecutorService preparePool = Executors.newFixedThreadPool(nodeSettings.prepareThreads(), daemonThreads("wavelink-prepare"));
    // large invocation payloads travel apart, on Artery's large-message lane (/system/blobs)
    Blobs blobs =
        new Blobs(
                (int) config.getBytes("wavelink.blobs.inline-limit").longValue(),
                config.getDuration("wavelink.blobs.fetch-timeout"))
            .start(system);
    // modules by SHA-256 in Cassandra, on the journal's own driver session: the gateway stores a
    // module before it deploys, a worker fetches it once by hash
    ModuleStore modules = ModuleStore.create(system);
    if (member.has(MemberSettings.WORKER)) {
      system.systemActorOf(
          Wavelet.create(nodeSettings, runtime, sandboxPool, preparePool, sharding, blobs, modules::fetch),
          Wavelet.actorName(nodeSettings.nodeId()),
          org.apache.pekko.actor.typed.Props.empty());
    }

    // every member serves HTTP: the full API with the gateway role, else health, metrics and nodes
    ServerBinding binding;
    {
      GatewaySettings gateway = GatewaySettings.create(config);
      JournalHealth journal = JournalHealth.create(system);
      AuthSettings authSettings = AuthSettings.create(config, System.getenv());
      Authenticator auth = null;
      ApiKeyStore keys = ApiKeyStore.create(system);
      // asynchronous invocations: recorded in Cassandra, run by dispatchers on the control members
      AsyncSettings asyncSettings = AsyncSettings.create(config);
      AsyncStore asyncStore = AsyncStore.create(
          system, asyncSettings.retention(), asyncSettings.idempotencyWindow(), asyncSettings.backlogRefresh());
      AsyncDispatcher.init(system, sharding, asyncStore, asyncSettings, blobs, MemberSettings.CONTROL);
      if (authSettings.enabled()) {
        auth = Authenticator.of(keys, authSettings.cacheTtl(), authSettings.staleIfError(), authSettings.failuresPerMinute());
        if (member.has(MemberSettings.GATEWAY)) {
          AdminKey.ensure(system, keys, authSettings.keyFile());
        }
      } else {
        String warning = "WARNING: authentication is OFF (WAVELINK_AUTH=off): anyone who reaches this member's"
            + " HTTP port may deploy, read, invoke and delete any function. For local development only.";
        System.out.println(warning);
        log.warn(warning);
      }
      HttpApi api =
          new HttpApi(
              system,
              sharding,
              directory,
              runtime,
              gateway,
              () -> ready(system, journal),
              JournalHealth.forDeploys(system)::check,
              WaveLinkMember::scrape,
              blobs,
              modules,
              keys,
              auth,
              asyncStore,
              asyncSettings);
      binding =
          Http.get(system)
              .newServerAt(gateway.host(), gateway.port())
              .bind(member.has(MemberSettings.GATEWAY) ? api.route() : api.managementRoute())
              .toCompletableFuture()
              .get(30, TimeUnit.SECONDS);
      // on SIGTERM: stop accepting connections, let requests in progress finish (after the Wavelet drained)
      binding.addToCoordinatedShutdown(Duration.ofSeconds(10), system);
      log.info("WaveLink gateway listening on http://{}:{}", gateway.host(), binding.localAddress().getPort());
    }
    if (member.has(MemberSettings.CONTROL)) {
      // wakes the catalog, which wakes every deployed function so their regular instances return
      FunctionCatalog.ref(sharding).tell(new FunctionCatalog.ListNames(system.ignoreRef()));
    }
    return new WaveLinkMember(system, binding, runtime, sandboxPool, preparePool);
  }

  /**
   * The list-valued settings that environment variables carry as comma-separated strings:
   * WAVELINK_ROLES (gateway,control,worker) and WAVELINK_SEED_NODES (pekko://wavelink@host:port,...).
   */
  static Config fromEnvironment(java.util.Map<String, String> env) {
    java.util.Map<String, Object> values = new java.util.HashMap<>();
    String roles = env.get("WAVELINK_ROLES");
    if (roles != null && !roles.isBlank()) {
      java.util.List<String> list = splitList(roles);
      for (String r : list) {
        if (!java.util.List.of(MemberSettings.GATEWAY, MemberSettings.CONTROL, MemberSettings.WORKER).contains(r)) {
          throw new IllegalArgumentException("WAVELINK_ROLES: unknown role '" + r + "' (gateway, control, worker)");
        }
      }
      values.put("pekko.cluster.roles", list);
    }
    String seeds = env.get("WAVELINK_SEED_NODES");
    if (seeds != null && !seeds.isBlank()) {
      values.put("pekko.cluster.seed-nodes", splitList(seeds));
    }
    return ConfigFactory.parseMap(values);
  }

  private static java.util.List<String> splitList(String value) {
    return java.util.Arrays.stream(value.split(","))
        .map(String::trim)
        .filter(s -> !s.isEmpty())
        .toList();
  }

  /**
   * WaveLink's modules override some of Pekko's defaults in their reference.conf; Typesafe Config
   * lets the first reference.conf on the classpath win, so WaveLink's jars must come before Pekko's
   * (bin/wavelink and the images order them). Fail at once, with the fix, rather than misbehave.
   */
  static void checkConfigurationOrder(Config config) {
    java.util.List<String> wrong = new java.util.ArrayList<>();
    if (!"pekko.persistence.cassandra.journal".equals(config.getString("pekko.persistence.journal.plugin"))) {
      wrong.add("pekko.persistence.journal.plugin");
    }
    if (!"none".equals(config.getString("pekko.cluster.sharding.passivation.strategy"))) {
      wrong.add("pekko.cluster.sharding.passivation.strategy");
    }
    if (config.getBytes("pekko.http.server.parsing.max-content-length") < config.getBytes("wavelink.gateway.max-deploy-size")) {
      wrong.add("pekko.http.server.parsing.max-content-length");
    }
    if (!wrong.isEmpty()) {
      throw new IllegalStateException(
          "WaveLink's defaults for " + wrong + " were overridden by Pekko's: put WaveLink's jars"
              + " (wavelink-*.jar) before the Pekko jars on the classpath, or set these keys in application.conf");
    }
  }

  private static CompletionStage<Boolean> ready(ActorSystem<?> system, JournalHealth journal) {
    if (Cluster.get(system).selfMember().status() != MemberStatus.up()) {
      return CompletableFuture.completedFuture(false);
    }
    return journal.check();
  }

  private static String scrape() {
    scala.Option<String> data = PrometheusReporter.latestScrapeData();
    return data.isDefined() ? data.get() : "";
  }

  private static java.util.concurrent.ThreadFactory daemonThreads(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  public ActorSystem<Void> system() {
    return system;
  }

  /** The bound HTTP port (the full API with the gateway role, health and metrics otherwise). */
  public int httpPort() {
    return binding.localAddress().getPort();
  }

  /** Leaves the cluster and stops, waiting up to a minute. */
  @Override
  public void close() {
    system.terminate();
    try {
      system.getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      log.warn("Member did not terminate cleanly: {}", e.toString());
    }
    sandboxPool.shutdownNow();
    preparePool.shutdownNow();
    runtime.close();
  }

  /** Blocks until the member's actor system has terminated. */
  public void awaitTermination() throws Exception {
    system.getWhenTerminated().toCompletableFuture().get();
  }

  /**
   * Runs a member in the foreground. {@code --embedded-cassandra DIR} first starts a real Cassandra
   * from its jars with its data under DIR (CQL port from WAVELINK_CASSANDRA_PORT, default 9042),
   * applies the schema, and stops it after the member on SIGTERM / Ctrl-C.
   */
  public static void main(String[] args) throws Exception {
    CassandraServer cassandra = null;
    Config overrides = ConfigFactory.empty();
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--embedded-cassandra") && i + 1 < args.length) {
        Path dir = Path.of(args[++i]);
        int port = Integer.parseInt(System.getenv().getOrDefault("WAVELINK_CASSANDRA_PORT", "9042"));
        System.out.println("Starting embedded Cassandra (data in " + dir.toAbsolutePath() + ", CQL port " + port + ") ...");
        java.util.Map<String, String> env = System.getenv();
        cassandra =
            CassandraServer.start(
                CassandraServer.Settings.defaults(dir)
                    .withNativePort(port)
                    .withStoragePort(Integer.parseInt(env.getOrDefault("WAVELINK_CASSANDRA_STORAGE_PORT", "7000")))
                    .withJmxPort(Integer.parseInt(env.getOrDefault("WAVELINK_CASSANDRA_JMX_PORT", "7199"))));
        CassandraServer started = cassandra;
        Runtime.getRuntime().addShutdownHook(new Thread(started::stop, "cassandra-stop"));
        cassandra.awaitReady(Duration.ofMinutes(3));
        Schema.apply(cassandra.contactPoint(), "datacenter1");
        System.out.println("Cassandra ready at " + cassandra.contactPoint());
        overrides =
            ConfigFactory.parseString(
                "wavelink.persistence.cassandra.contact-points = [\"" + cassandra.contactPoint() + "\"]");
      } else {
        System.err.println("usage: WaveLinkMember [--embedded-cassandra DIR]");
        System.exit(2);
      }
    }
    Config config =
        ConfigFactory.load(
            overrides
                .withFallback(fromEnvironment(System.getenv()))
                .withFallback(ConfigFactory.parseResourcesAnySyntax("application")));
    WaveLinkMember member;
    try {
      member = start(config);
    } catch (Exception e) {
      System.err.println("ERROR: WaveLink could not start: " + e);
      if (cassandra != null) {
        cassandra.stop();
      }
      System.exit(1);
      return;
    }
    System.out.println(
        "WaveLink ready: HTTP API on http://localhost:" + member.httpPort()
            + " (cluster member " + member.system().address() + ")");
    member.awaitTermination();
  }
}
