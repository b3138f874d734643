package io.wavelink.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.junit.jupiter.api.Test;

/** The raw baseline answers what the gateway's echo answers, so one wrk script drives both. */
class RawHelloTest {

  @Test
  void echoesPostsAndGreetsGets() throws Exception {
    ActorSystem<Void> system = RawHello.system();
    try {
      ServerBinding binding = RawHello.start(system, 0);
      String base = "http://127.0.0.1:" + binding.localAddress().getPort() + "/echo";
      HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
      HttpResponse<String> post =
          client.send(
              HttpRequest.newBuilder(URI.create(base)).POST(HttpRequest.BodyPublishers.ofString("hello")).build(),
              HttpResponse.BodyHandlers.ofString());
      assertEquals(200, post.statusCode());
      assertEquals("hello", post.body());
      HttpResponse<String> get =
          client.send(HttpRequest.newBuilder(URI.create(base)).GET().build(), HttpResponse.BodyHandlers.ofString());
      assertEquals("Hello, World!", get.body());
    } finally {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get();
    }
  }
}
