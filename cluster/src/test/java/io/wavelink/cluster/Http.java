package io.wavelink.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.wavelink.persistence.testkit.Await;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/** A small HTTP client for the end-to-end tests, with a condition-with-deadline helper. */
final class Http {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration DEADLINE = Duration.ofSeconds(60);

  private final HttpClient client =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).version(HttpClient.Version.HTTP_1_1).build();
  private final String base;

  Http(int port) {
    this.base = "http://127.0.0.1:" + port;
  }

  /** Polls {@code check} until it holds, failing after a deadline; never a fixed sleep. */
  void await(String what, Await.Check check) {
    Await.until(what, DEADLINE, check);
  }

  HttpResponse<String> get(String path) throws Exception {
    return client.send(request(path).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> delete(String path) throws Exception {
    return client.send(request(path).DELETE().build(), HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> put(String path, String body) throws Exception {
    return put(path, body, Map.of());
  }

  HttpResponse<String> put(String path, String body, Map<String, String> headers) throws Exception {
    HttpRequest.Builder b =
        request(path).header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString(body));
    headers.forEach(b::header);
    return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> deploy(String name, byte[] code, Map<String, Object> fields) throws Exception {
    return deploy(name, code, fields, Map.of());
  }

  HttpResponse<String> deploy(String name, byte[] code, Map<String, Object> fields, Map<String, String> headers)
      throws Exception {
    Map<String, Object> spec = new LinkedHashMap<>();
    spec.put("runtime", "wasm");
    spec.put("code", Base64.getEncoder().encodeToString(code));
    spec.putAll(fields);
    return put("/v1/functions/" + name, JSON.writeValueAsString(spec), headers);
  }

  HttpResponse<String> post(String path, byte[] body, Map<String, String> headers) throws Exception {
    HttpRequest.Builder b = request(path).POST(HttpRequest.BodyPublishers.ofByteArray(body));
    headers.forEach(b::header);
    return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<byte[]> getBytes(String path) throws Exception {
    return client.send(request(path).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  HttpResponse<byte[]> invoke(String name, byte[] body) throws Exception {
    return client.send(invokeRequest(name, body), HttpResponse.BodyHandlers.ofByteArray());
  }

  CompletableFuture<HttpResponse<byte[]>> invokeAsync(String name, byte[] body) {
    return client.sendAsync(invokeRequest(name, body), HttpResponse.BodyHandlers.ofByteArray());
  }

  private HttpRequest invokeRequest(String name, byte[] body) {
    return request("/v1/functions/" + name + "/invoke").POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
  }

  private HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(URI.create(base + path)).timeout(DEADLINE);
  }

  static JsonNode json(String body) throws Exception {
    return JSON.readTree(body);
  }

  /** Asserts a JSON error body with a message and the given status; returns the body. */
  static JsonNode assertError(HttpResponse<?> r, int status) throws Exception {
    String body =
        r.body() instanceof byte[] bytes ? new String(bytes, StandardCharsets.UTF_8) : String.valueOf(r.body());
    assertEquals(status, r.statusCode(), body);
    JsonNode json = JSON.readTree(body);
    assertTrue(json.hasNonNull("error") && json.hasNonNull("message"), body);
    assertTrue(!body.contains("\tat "), "no stack trace in " + body);
    return json;
  }
}
