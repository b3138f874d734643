package io.wavelink.benchmarks;

import io.wavelink.function.FunctionEntity;
import io.wavelink.function.FunctionStatus;
import io.wavelink.node.InstanceKind;
import io.wavelink.node.InvocationReply;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A member with one warm function, for driving its gateway with an external load tool (wrk).
 *
 * <p>Starts a member with every role (gateway on 127.0.0.1:{@code --port}), deploys the echo
 * example as {@code --function} (default {@code echo}) with {@code minScale} 1 and {@code
 * --concurrency} (default 64) invocations per regular instance, waits until an invocation is served
 * warm by a regular instance, prints {@code WARM READY <invoke URL>} and runs until SIGTERM.
 *
 * <p>With {@code --async-concurrency N} the function drains up to N asynchronous calls at once, and
 * the member prints {@code SERVED <epoch ms> <calls>} every second (the calls its entity has
 * answered from instances since it started): benchmarks/run.sh's {@code async} run reads it to time
 * how fast a backlog drains.
 *
 * <pre>
 * java -cp ... io.wavelink.benchmarks.WarmMember [--cassandra host:port] [--port 8090] [--concurrency 64]
 *     [--async-concurrency 64]
 * </pre>
 */
public final class WarmMember {

  private WarmMember() {}

  public static void main(String[] argv) {
    try {
      run(argv);
    } catch (Throwable t) {
      t.printStackTrace();
      System.exit(1);
    }
    System.exit(0);
  }

  private static void run(String[] argv) throws Exception {
    Args args = new Args(argv, List.of("cassandra", "work", "port", "concurrency", "function", "async-concurrency"));
    String contactPoint =
        BenchmarkMember.cassandra(args, Path.of(args.string("work", "benchmarks/target/warm-cassandra")));
    String name = args.string("function", "echo");
    BenchmarkMember member = BenchmarkMember.start(contactPoint, args.integer("port", 8090), Map.of());
    Runtime.getRuntime().addShutdownHook(new Thread(member::close, "warm-member-stop"));
    int concurrency = args.integer("concurrency", 64);
    // (retried: right after start-up the journal may still be slow to answer)
    member.await("the function deployed", Duration.ofSeconds(150), () -> {
      io.wavelink.function.FunctionSpec echo = BenchmarkMember.echo(name, concurrency, 1, 1, 0);
      member.deploy(new io.wavelink.function.FunctionSpec(
          echo.name(), echo.runtime(), echo.module(), echo.memoryMb(), echo.timeoutMs(), echo.concurrency(),
          echo.minScale(), echo.maxScale(), echo.env(), echo.controlPlaneMode(), echo.regularTrackDelayMs(),
          echo.autoscaling(), new io.wavelink.function.FunctionSpec.AsyncPolicy(
              2, args.integer("async-concurrency", io.wavelink.function.FunctionSpec.AsyncPolicy.DEFAULT.concurrency()),
              1000)));
      return true;
    });
    member.await("a warm invocation on a regular instance", Duration.ofSeconds(120), () -> {
      InvocationReply r = member.invoke(name, "warm");
      return r.status() == InvocationReply.Status.OK && !r.coldStart() && r.kind() == InstanceKind.REGULAR;
    });
    FunctionStatus status = member.status(name);
    System.out.println(
        "WARM READY http://127.0.0.1:" + member.httpPort() + "/v1/functions/" + name + "/invoke ("
            + status.instances().size() + " instance(s): " + status.instances() + ")");
    if (argv.length > 0 && java.util.Arrays.asList(argv).contains("--async-concurrency")) {
      java.util.concurrent.ScheduledExecutorService served =
          java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "served-printer");
            t.setDaemon(true);
            return t;
          });
      served.scheduleAtFixedRate(() -> {
        try {
          FunctionStatus.Stats st = member.status(name).stats();
          System.out.println("SERVED " + System.currentTimeMillis() + " " + (st.regularInvocations() + st.emergencyInvocations()));
        } catch (Exception e) {
          System.out.println("SERVED unknown: " + e);
        }
      }, 0, 1, java.util.concurrent.TimeUnit.SECONDS);
    }
    member.member.awaitTermination();
  }
}
