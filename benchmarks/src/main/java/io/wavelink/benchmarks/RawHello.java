package io.wavelink.benchmarks;

import com.typesafe.config.ConfigFactory;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;

/**
 * The baseline for the gateway's warm overhead: a raw Pekko HTTP server (the same Pekko and Pekko
 * HTTP versions and server settings as a member's gateway, no cluster, no actors on the path).
 * {@code GET} anything answers {@code Hello, World!}; {@code POST} anything answers its body, as the
 * echo function does through the gateway, so that one wrk script drives both.
 *
 * <pre>
 * java -cp ... io.wavelink.benchmarks.RawHello [--port 8091]     # prints RAW READY http://127.0.0.1:PORT/
 * </pre>
 */
public final class RawHello extends AllDirectives {

  private RawHello() {}

  Route route() {
    return concat(
        get(() -> complete("Hello, World!")),
        post(
            () ->
                entity(
                    Unmarshaller.entityToByteArray(),
                    body ->
                        complete(
                            HttpResponse.create()
                                .withEntity(HttpEntities.create(ContentTypes.APPLICATION_OCTET_STREAM, body))))));
  }

  /** Binds on 127.0.0.1:{@code port} (0: any free port). */
  static ServerBinding start(ActorSystem<?> system, int port) throws Exception {
    return Http.get(system)
        .newServerAt("127.0.0.1", port)
        .bind(new RawHello().route())
        .toCompletableFuture()
        .get(30, TimeUnit.SECONDS);
  }

  /**
   * A local actor system: WaveLink's reference.conf files apply (their Pekko HTTP server limits
   * too), the member's application.conf (cluster provider, remoting) does not.
   */
  static ActorSystem<Void> system() {
    return ActorSystem.create(
        Behaviors.empty(),
        "raw-hello",
        ConfigFactory.load(ConfigFactory.parseString("pekko.actor.provider = local")));
  }

  public static void main(String[] argv) throws Exception {
    Args args = new Args(argv, List.of("port"));
    ActorSystem<Void> system = system();
    ServerBinding binding = start(system, args.integer("port", 8091));
    System.out.println("RAW READY http://127.0.0.1:" + binding.localAddress().getPort() + "/");
    system.getWhenTerminated().toCompletableFuture().get();
  }
}
