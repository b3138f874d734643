package io.wavelink.gateway;

import static io.wavelink.gateway.ApiResponses.error;
import static io.wavelink.gateway.ApiResponses.json;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.wavelink.gateway.internal.Roles;
import io.wavelink.persistence.ApiKeyStore;
import io.wavelink.persistence.AsyncStore;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.Location;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The asynchronous part of the API (docs/operations.md, "Asynchronous invocations"):
 *
 * <pre>
 * POST /v1/functions/{name}/invoke   with X-WaveLink-Invocation-Type: async (or Prefer: respond-async):
 *                                    202, Location: /v1/invocations/{id}, once Cassandra holds the call
 * GET  /v1/invocations/{id}          status, attempts, stderr tail, message
 * GET  /v1/invocations/{id}/result   the output of a succeeded call
 * GET  /v1/functions/{name}/invocations?limit=&amp;page=     its calls, newest first
 * GET  /v1/functions/{name}/dead-letters                    its dead calls
 * POST /v1/functions/{name}/dead-letters/{id}/redrive       runs a dead call again
 * </pre>
 */
final class AsyncApi extends AllDirectives {

  private static final Logger log = LoggerFactory.getLogger(AsyncApi.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_PAGE = 1000;
  private static final long EXISTS_TTL_MS = 5_000;
  private static final int MAX_IDEMPOTENCY_KEY = 255;

  private final AsyncStore store;
  private final AsyncSettings settings;
  private final Access access;
  /** whether a function is deployed: an ask of its entity */
  private final Function<String, CompletionStage<Boolean>> deployed;
  /** functions seen deployed, and when: an accept does not ask the entity every time */
  private final Map<String, Long> seenDeployed = new ConcurrentHashMap<>();

  AsyncApi(AsyncStore store, AsyncSettings settings, Access access, Function<String, CompletionStage<Boolean>> deployed) {
    this.store = store;
    this.settings = settings;
    this.access = access;
    this.deployed = deployed;
  }

  /** Whether the request asks for an asynchronous invocation. */
  static boolean wanted(HttpRequest request) {
    boolean typed = request.getHeader("X-WaveLink-Invocation-Type")
        .map(h -> h.value().trim().equalsIgnoreCase("async")).orElse(false);
    boolean preferred = request.getHeader("Prefer")
        .map(h -> h.value().toLowerCase(java.util.Locale.ROOT).contains("respond-async")).orElse(false);
    return typed || preferred;
  }

  /** An async invocation of {@code name}: recorded, then 202 (404 if it is not deployed, 503 if Cassandra is not there). */
  Route accept(String name) {
    return optionalHeaderValueByName("Idempotency-Key", idempotencyKey -> {
      if (idempotencyKey.isPresent()
          && (idempotencyKey.get().isEmpty() || idempotencyKey.get().length() > MAX_IDEMPOTENCY_KEY)) {
        return error(StatusCodes.BAD_REQUEST, "invalid_idempotency_key",
            "Idempotency-Key must be 1 to " + MAX_IDEMPOTENCY_KEY + " characters");
      }
      return Bodies.bounded(settings.maxInputBytes(), input -> onComplete(
          isDeployed(name).thenCompose(found -> found
              ? store.accept(name, input, idempotencyKey.orElse(null), settings.dispatchers()).thenApply(Optional::of)
              : CompletableFuture.completedFuture(Optional.<AsyncStore.Accepted>empty())),
          result -> {
            if (result.isFailure()) {
              return unavailable("the call was not recorded", result.failed().get());
            }
            if (result.get().isEmpty()) {
              return error(StatusCodes.NOT_FOUND, "not_found", "function " + name + " is not deployed");
            }
            AsyncStore.Accepted accepted = result.get().get();
            String location = "/v1/invocations/" + accepted.id();
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("id", accepted.id());
            body.put("function", name);
            body.put("status", AsyncStore.QUEUED);
            body.put("location", location);
            if (accepted.replay()) {
              body.put("replay", true);
            }
            return respondWithHeaders(
                List.<org.apache.pekko.http.javadsl.model.HttpHeader>of(Location.create(location), RawHeader.create("X-WaveLink-Invocation-Id", accepted.id())),
                () -> json(StatusCodes.ACCEPTED, body));
          }));
    });
  }

  private CompletionStage<Boolean> isDeployed(String name) {
    Long seen = seenDeployed.get(name);
    if (seen != null && System.currentTimeMillis() - seen < EXISTS_TTL_MS) {
      return CompletableFuture.completedFuture(true);
    }
    return deployed.apply(name).thenApply(found -> {
      if (found) {
        seenDeployed.put(name, System.currentTimeMillis());
      } else {
        seenDeployed.remove(name);
      }
      return found;
    });
  }

  /** {@code /v1/invocations/{id}} and {@code .../result}. Any role that may invoke may follow its calls. */
  Route invocations(ApiKeyStore.Key key) {
    return access.permitted(key, Roles.Action.INVOKE, () -> pathPrefix(PathMatchers.segment(), id -> concat(
        pathEnd(() -> get(() -> withRecord(id, inv -> json(StatusCodes.OK, describe(inv, true))))),
        path("result", () -> get(() -> withRecord(id, this::result))))));
  }

  /** {@code /v1/functions/{name}/invocations} and {@code .../dead-letters}. */
  Route functionRoutes(ApiKeyStore.Key key, String name) {
    return concat(
        path("invocations", () -> get(() -> access.permitted(key, Roles.Action.READ, () -> list(name)))),
        pathPrefix("dead-letters", () -> concat(
            pathEnd(() -> get(() -> access.permitted(key, Roles.Action.READ, () -> deadLetters(name)))),
            path(PathMatchers.segment().slash("redrive"),
                id -> post(() -> access.permitted(key, Roles.Action.INVOKE, () -> redrive(name, id)))))));
  }

  private Route withRecord(String id, Function<AsyncStore.Invocation, Route> inner) {
    return onComplete(store.get(id), found -> {
      if (found.isFailure()) {
        return unavailable("the call could not be read", found.failed().get());
      }
      return found.get().map(inner)
          .orElseGet(() -> error(StatusCodes.NOT_FOUND, "not_found",
              "no invocation " + id + " (never accepted, or older than the retention of " + settings.retention() + ")"));
    });
  }

  private Route result(AsyncStore.Invocation inv) {
    if (!AsyncStore.SUCCEEDED.equals(inv.status())) {
      return error(StatusCodes.CONFLICT, "not_succeeded",
          "invocation " + inv.id() + " is " + inv.status() + (inv.message() == null || inv.message().isEmpty()
              ? "" : ": " + inv.message()) + "; only a succeeded call has a result");
    }
    return complete(HttpResponse.create().withStatus(StatusCodes.OK)
        .withEntity(HttpEntities.create(ContentTypes.APPLICATION_OCTET_STREAM, inv.result())));
  }

  /** An invocation's record as GET /v1/invocations/{id} shows it ({@code full}) or a listing does. */
  static Map<String, Object> describe(AsyncStore.Invocation inv, boolean full) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("id", inv.id());
    body.put("function", inv.function());
    body.put("status", inv.status());
    body.put("createdAt", String.valueOf(inv.createdAt()));
    body.put("updatedAt", String.valueOf(inv.updatedAt()));
    body.put("attemptCount", inv.attempts().size());
    // more runs than attempts: a run was cut short (its dispatcher's member died) and ran again
    body.put("runs", inv.starts().size());
    if (!inv.source().isEmpty()) {
      body.put("source", inv.source());
    }
    if (!full) {
      return body;
    }
    List<JsonNode> attempts = new ArrayList<>();
    for (String a : inv.attempts()) {
      try {
        attempts.add(JSON.readTree(a));
      } catch (java.io.IOException e) {
        attempts.add(JSON.getNodeFactory().textNode(a));
      }
    }
    body.put("attempts", attempts);
    body.put("message", inv.message() == null ? "" : inv.message());
    body.put("stderr", inv.stderr() == null ? "" : inv.stderr());
    if (AsyncStore.SUCCEEDED.equals(inv.status())) {
      body.put("resultBytes", inv.result().length);
      body.put("result", "/v1/invocations/" + inv.id() + "/result");
    }
    return body;
  }

  private Route list(String name) {
    return parameterOptional("limit", limitParam -> parameterOptional("page", page -> {
      int limit;
      try {
        limit = limitParam.map(Integer::parseInt).orElse(100);
      } catch (NumberFormatException e) {
        limit = -1;
      }
      if (limit < 1 || limit > MAX_PAGE) {
        return error(StatusCodes.BAD_REQUEST, "invalid_limit", "limit must be a whole number from 1 to " + MAX_PAGE);
      }
      CompletionStage<Map<String, Object>> listed = store.list(name, limit, page.orElse(null)).thenCompose(p -> {
        List<CompletableFuture<Optional<AsyncStore.Invocation>>> records =
            p.ids().stream().map(id -> store.get(id).toCompletableFuture()).toList();
        return CompletableFuture.allOf(records.toArray(CompletableFuture[]::new)).thenApply(all -> {
          List<Map<String, Object>> out = new ArrayList<>();
          for (CompletableFuture<Optional<AsyncStore.Invocation>> r : records) {
            r.join().ifPresent(inv -> out.add(describe(inv, false)));
          }
          Map<String, Object> body = new LinkedHashMap<>();
          body.put("function", name);
          body.put("invocations", out);
          body.put("next", p.next());
          return body;
        });
      });
      return onComplete(listed, r -> r.isSuccess()
          ? json(StatusCodes.OK, r.get())
          : badPageOrUnavailable(r.failed().get(), page.isPresent()));
    }));
  }

  private Route badPageOrUnavailable(Throwable t, boolean paged) {
    Throwable c = t instanceof java.util.concurrent.CompletionException && t.getCause() != null ? t.getCause() : t;
    boolean unreachable = c instanceof com.datastax.oss.driver.api.core.DriverTimeoutException
        || c instanceof com.datastax.oss.driver.api.core.AllNodesFailedException
        || c instanceof com.datastax.oss.driver.api.core.servererrors.QueryExecutionException;
    // a token that decodes but is not a paging state of this query: Cassandra refuses it
    if (c instanceof IllegalArgumentException || (paged && !unreachable)) {
      return error(StatusCodes.BAD_REQUEST, "invalid_page", "page must be the next token of an earlier page");
    }
    return unavailable("the invocations could not be listed", t);
  }

  private Route deadLetters(String name) {
    return onComplete(store.deadLetters(name, MAX_PAGE), r -> {
      if (r.isFailure()) {
        return unavailable("the dead letters could not be read", r.failed().get());
      }
      List<Map<String, Object>> out = new ArrayList<>();
      for (AsyncStore.DeadLetter d : r.get()) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", d.id());
        m.put("deadAt", String.valueOf(d.deadAt()));
        m.put("message", d.message());
        m.put("redrive", "/v1/functions/" + name + "/dead-letters/" + d.id() + "/redrive");
        out.add(m);
      }
      return json(StatusCodes.OK, Map.of("function", name, "deadLetters", out));
    });
  }

  private Route redrive(String name, String id) {
    return onComplete(store.redrive(name, id, settings.dispatchers()), r -> {
      if (r.isFailure()) {
        return unavailable("the call was not redriven", r.failed().get());
      }
      if (!r.get()) {
        return error(StatusCodes.NOT_FOUND, "not_found", "no dead invocation " + id + " of function " + name);
      }
      return respondWithHeader(Location.create("/v1/invocations/" + id),
          () -> json(StatusCodes.ACCEPTED, Map.of("id", id, "function", name, "status", AsyncStore.QUEUED)));
    });
  }

  /**
   * After a deploy: registers the function's cron schedules with its dispatcher (or unregisters a
   * function that has none any more), then {@code then}. The deploy itself is durable already: if the
   * registration fails, the answer (503) says so, and deploying again registers them.
   */
  Route afterDeploy(String name, io.wavelink.function.FunctionSpec spec, java.util.function.Supplier<Route> then) {
    boolean has = !spec.async().schedules().isEmpty();
    return onComplete(store.schedules(name, has, settings.dispatchers()), r -> r.isSuccess()
        ? then.get()
        : ApiResponses.error(StatusCodes.SERVICE_UNAVAILABLE, "storage_unavailable",
            "the function was deployed, but its schedules were not " + (has ? "registered" : "removed")
                + " (Cassandra did not answer): deploy it again"));
  }

  /** After a delete: its schedules stop (the dispatcher also stops them once it finds the function gone). */
  void afterDelete(String name) {
    store.schedules(name, false, settings.dispatchers()).whenComplete((ok, e) -> {
      if (e != null) {
        log.info("schedules of deleted function {} not unregistered ({}); its dispatcher finds it gone", name, e.toString());
      }
    });
  }

  private static Route unavailable(String what, Throwable t) {
    log.debug("{}: {}", what, t.toString());
    return ApiResponses.error(StatusCodes.SERVICE_UNAVAILABLE, "storage_unavailable",
        what + ": Cassandra did not answer in time; retry (with the same Idempotency-Key, an async call is not recorded twice)");
  }
}
