package io.wavelink.loadgen.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.wavelink.loadgen.LoadgenException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.LockSupport;

/**
 * WaveLink's HTTP API as the load generator uses it, on one asynchronous {@link HttpClient}
 * (HTTP/1.1: one connection per concurrent request, so no request waits behind another).
 */
public final class GatewayClient {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration CONTROL_TIMEOUT = Duration.ofSeconds(30);

  private final HttpClient http =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
  /** sent as {@code Authorization: Bearer} when set (WAVELINK_API_KEY) */
  private final String apiKey;

  /** A client with the API key in WAVELINK_API_KEY, if set. */
  public GatewayClient() {
    this(System.getenv("WAVELINK_API_KEY"));
  }

  /** @param apiKey the API key to send, or null when the gateway needs none */
  public GatewayClient(String apiKey) {
    this.apiKey = apiKey == null || apiKey.isBlank() ? null : apiKey.strip();
  }

  private HttpRequest.Builder request(URI uri) {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri);
    return apiKey == null ? b : b.header("Authorization", "Bearer " + apiKey);
  }

  /**
   * Checks that {@code GET /health/ready} answers 200, waiting up to {@code patience} while the
   * gateway answers otherwise (a member still starting).
   *
   * @throws LoadgenException naming the URL when it cannot be reached or does not become ready
   */
  public void awaitReady(URI target, Duration patience) {
    long deadline = System.nanoTime() + patience.toNanos();
    URI uri = uri(target, "/health/ready");
    while (true) {
      HttpResponse<String> r;
      try {
        r = http.send(request(uri).timeout(Duration.ofSeconds(5)).GET().build(),
            HttpResponse.BodyHandlers.ofString());
      } catch (ConnectException e) {
        throw new LoadgenException("cannot reach the WaveLink gateway at " + target
            + " (connection refused): is a member running there? (bin/wavelink start)");
      } catch (HttpTimeoutException e) {
        throw new LoadgenException("the WaveLink gateway at " + target + " did not answer GET /health/ready within 5 s");
      } catch (IOException e) {
        throw new LoadgenException("cannot reach the WaveLink gateway at " + target + ": " + describe(e));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new LoadgenException("interrupted while checking " + target);
      }
      if (r.statusCode() == 200) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new LoadgenException("the WaveLink gateway at " + target + " is not ready: GET /health/ready answered "
            + r.statusCode() + " " + abbreviate(r.body()));
      }
      LockSupport.parkNanos(Duration.ofMillis(500).toNanos());
    }
  }

  /**
   * {@code PUT /v1/functions/{name}}.
   *
   * @throws LoadgenException with the gateway's error when it does not answer 200 or 201
   */
  public void deploy(URI target, String name, Map<String, Object> spec) {
    HttpResponse<String> r;
    try {
      r = http.send(
          request(uri(target, "/v1/functions/" + name))
              .timeout(CONTROL_TIMEOUT)
              .header("Content-Type", "application/json")
              .PUT(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(spec)))
              .build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new LoadgenException("deploying " + name + " to " + target + " failed: " + describe(e));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new LoadgenException("interrupted while deploying " + name);
    }
    if (r.statusCode() != 200 && r.statusCode() != 201) {
      throw new LoadgenException("deploying " + name + " to " + target + " failed: " + r.statusCode() + " " + errorOf(r.body()));
    }
  }

  /** {@code DELETE /v1/functions/{name}}: the status, or -1 when the gateway could not be reached. */
  public int delete(URI target, String name) {
    try {
      return http.send(
              request(uri(target, "/v1/functions/" + name)).timeout(CONTROL_TIMEOUT).DELETE().build(),
              HttpResponse.BodyHandlers.discarding())
          .statusCode();
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  /**
   * {@code GET /v1/functions}, every page of it (every function with its instances and stats):
   * {@code {"functions": [...], "unavailable": [names that did not answer]}}.
   */
  public CompletableFuture<JsonNode> listFunctions(URI target, Duration timeout) {
    com.fasterxml.jackson.databind.node.ObjectNode all = JSON.createObjectNode();
    all.putArray("functions");
    all.putArray("unavailable");
    return listFrom(target, timeout, null, all);
  }

  private CompletableFuture<JsonNode> listFrom(
      URI target, Duration timeout, String after, com.fasterxml.jackson.databind.node.ObjectNode all) {
    String path = "/v1/functions"
        + (after == null ? "" : "?after=" + java.net.URLEncoder.encode(after, java.nio.charset.StandardCharsets.UTF_8));
    return http.sendAsync(
            request(uri(target, path)).timeout(timeout).GET().build(),
            HttpResponse.BodyHandlers.ofString())
        .thenCompose(r -> {
          if (r.statusCode() != 200) {
            throw new IllegalStateException("GET /v1/functions answered " + r.statusCode() + " " + abbreviate(r.body()));
          }
          JsonNode page;
          try {
            page = JSON.readTree(r.body());
          } catch (IOException e) {
            throw new IllegalStateException("GET /v1/functions answered with malformed JSON", e);
          }
          ((com.fasterxml.jackson.databind.node.ArrayNode) all.get("functions")).addAll(
              (com.fasterxml.jackson.databind.node.ArrayNode) page.withArray("functions"));
          page.path("unavailable").forEach(n -> ((com.fasterxml.jackson.databind.node.ArrayNode) all.get("unavailable")).add(n));
          String next = page.path("next").asText(null);
          return next == null || next.equals(after)
              ? CompletableFuture.completedFuture((JsonNode) all)
              : listFrom(target, timeout, next, all);
        });
  }

  /** {@code POST /v1/functions/{name}/invoke}, sent now; completes when the whole response is in. */
  public CompletableFuture<HttpResponse<String>> invoke(URI target, String name, String body, Duration timeout) {
    HttpRequest request =
        request(uri(target, "/v1/functions/" + name + "/invoke"))
            .timeout(timeout)
            .header("Content-Type", "text/plain")
            .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8))
            .build();
    return http.sendAsync(request, HttpResponse.BodyHandlers.ofString());
  }

  /** The target's base URL (which may have a path) with {@code path} appended. */
  static URI uri(URI target, String path) {
    return URI.create(target.toString().replaceAll("/+$", "") + path);
  }

  /** {@code "error: message"} from WaveLink's JSON error body, or the start of the body. */
  static String errorOf(String body) {
    try {
      JsonNode n = JSON.readTree(body);
      if (n != null && n.has("error")) {
        return n.path("error").asText() + ": " + n.path("message").asText();
      }
    } catch (IOException | RuntimeException e) {
      // not JSON: the text itself
    }
    return abbreviate(body);
  }

  static String abbreviate(String s) {
    if (s == null) {
      return "";
    }
    String one = s.replaceAll("\\s+", " ").trim();
    return one.length() <= 200 ? one : one.substring(0, 200) + "...";
  }

  static String describe(Throwable e) {
    String m = e.getMessage();
    return e.getClass().getSimpleName() + (m == null || m.isBlank() ? "" : ": " + m);
  }
}
