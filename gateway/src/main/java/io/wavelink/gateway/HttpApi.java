package io.wavelink.gateway;

import io.wavelink.function.FunctionCatalog;
import io.wavelink.function.FunctionEntity;
import io.wavelink.function.FunctionStatus;
import io.wavelink.function.FunctionSpec;
import io.wavelink.gateway.internal.DeployChecks;
import io.wavelink.gateway.internal.FunctionListing;
import io.wavelink.gateway.internal.GatewayMetrics;
import io.wavelink.gateway.internal.LostCallRetries;
import io.wavelink.gateway.internal.PendingInvocations;
import io.wavelink.node.Blobs;
import io.wavelink.node.InvocationReply;
import io.wavelink.node.NodeDirectory;
import io.wavelink.node.sandbox.SandboxRuntime;
import io.wavelink.gateway.internal.Authenticator;
import io.wavelink.gateway.internal.Roles;
import io.wavelink.persistence.ApiKeyStore;
import io.wavelink.persistence.ModuleStore;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
import org.apache.pekko.pattern.AskTimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * WaveLink's HTTP API (Pekko HTTP). Every error answers with a JSON body {@code {"error": code,
 * "message": text}} and the matching status; no stack trace ever reaches a client.
 *
 * <pre>
 * PUT    /v1/functions/{name}         deploy or update (201 created, 200 updated; If-Match: version)
 * GET    /v1/functions                all functions with live status
 * GET    /v1/functions/{name}         one function (spec without code, instances, in flight)
 * DELETE /v1/functions/{name}         stop its instances and free the name
 * POST   /v1/functions/{name}/invoke  body to stdin, stdout back; X-WaveLink-* headers
 * GET    /v1/functions/{name}/logs    its recent calls (?limit, ?after)
 * POST   /v1/namespaces/default/keys  issue a key (GET lists them; DELETE .../keys/{id} revokes), KeysApi
 * GET    /v1/nodes                    worker nodes with capacity, allocation and instances
 * GET    /metrics                     Prometheus text (Kamon)
 * GET    /health/live, /health/ready  liveness; readiness (member Up and journal reachable)
 * </pre>
 */
public final class HttpApi extends AllDirectives {

  private static final Logger log = LoggerFactory.getLogger(HttpApi.class);

  private final ActorSystem<?> system;
  private final ClusterSharding sharding;
  private final NodeDirectory directory;
  private final GatewaySettings settings;
  private final Supplier<CompletionStage<Boolean>> readiness;
  private final Supplier<CompletionStage<Boolean>> journalReachable;
  private final Supplier<String> metrics;
  private final Executor executor;
  private final PendingInvocations pending;
  private final GatewayMetrics gatewayMetrics = new GatewayMetrics();
  private final Blobs blobs;
  private final ModuleStore modules;
  /** each API call's key and what its role allows */
  private final Access access;
  private final KeysApi keysApi;
  private final AsyncApi asyncApi;
  private final DeployChecks deployChecks;

  /**
   * @param readiness answers whether this member may take traffic (member Up, journal reachable)
   * @param journalReachable answers whether the journal answers now; deploys need it
   * @param metrics the current Prometheus scrape text
   * @param blobs this member's {@link Blobs}: large inputs and outputs travel apart
   * @param modules where deploys store their modules before the spec, naming them by hash, is sent
   */
  public HttpApi(
      ActorSystem<?> system,
      ClusterSharding sharding,
      NodeDirectory directory,
      SandboxRuntime runtime,
      GatewaySettings settings,
      Supplier<CompletionStage<Boolean>> readiness,
      Supplier<CompletionStage<Boolean>> journalReachable,
      Supplier<String> metrics,
      Blobs blobs,
      ModuleStore modules,
      ApiKeyStore keys,
      Authenticator auth,
      io.wavelink.persistence.AsyncStore asyncStore,
      AsyncSettings asyncSettings) {
    this.system = system;
    this.access = new Access(auth);
    this.keysApi = new KeysApi(keys, access);
    this.asyncApi = new AsyncApi(asyncStore, asyncSettings, access,
        name -> io.wavelink.gateway.internal.PlainFutures.of(function(name).ask(FunctionEntity.Get::new, settings.controlTimeout()))
            .thenApply(FunctionStatus::found));
    this.blobs = blobs;
    this.sharding = sharding;
    this.directory = directory;
    this.settings = settings;
    this.readiness = readiness;
    this.journalReachable = journalReachable;
    this.metrics = metrics;
    this.executor = system.executionContext();
    this.modules = modules;
    this.deployChecks = new DeployChecks(runtime, settings);
    system.getWhenTerminated().thenRun(deployChecks::close);
    this.pending =
        new PendingInvocations(
            (function, input, inputRef, requestId, timeout, sentAs) ->
                function(function).ask(r -> {
                  sentAs.accept(r);
                  return new FunctionEntity.Invoke(input, r, inputRef, requestId);
                }, timeout),
            settings.invokeTimeout(),
            settings.callCheckInterval(),
            executor);
    system.systemActorOf(
        LostCallRetries.create(
            pending,
            (function, timeout) ->
                function(function).ask(FunctionEntity.Get::new, timeout).thenApply(FunctionStatus::uptimeMs),
            settings.lostCallProbeTimeout(),
            (function, handles, timeout) -> {
              @SuppressWarnings("unchecked") // the handles are the reply-to refs the Invokes were sent with
              List<ActorRef<InvocationReply>> calls = handles.stream().map(h -> (ActorRef<InvocationReply>) h).toList();
              return function(function)
                  .<FunctionEntity.CallsNotHeld>ask(r -> new FunctionEntity.FindCalls(calls, r), timeout)
                  .thenApply(notHeld -> java.util.Set.<Object>copyOf(notHeld.calls()));
            },
            settings.callCheckInterval()),
        "gateway-retries-" + System.identityHashCode(this),
        org.apache.pekko.actor.typed.Props.empty());
  }

  /** The full API: functions, nodes, metrics and health. For members with the gateway role. */
  public Route route() {
    return guarded(
        () -> concat(
            pathPrefix(PathMatchers.segment("v1").slash("functions"), () -> access.authenticated(this::functionRoutes)),
            pathPrefix(PathMatchers.segment("v1").slash("invocations"), () -> access.authenticated(asyncApi::invocations)),
            pathPrefix(PathMatchers.segment("v1").slash("namespaces").slash(PathMatchers.segment()),
                ns -> access.authenticated(key -> keysApi.route(key, ns))),
            management()));
  }

  /**
   * What every member serves, whatever its roles: health, metrics (each member's own Kamon
   * instruments: function metrics live on the member hosting the function's entity) and its view
   * of the nodes.
   */
  public Route managementRoute() {
    return guarded(this::management);
  }

  private Route guarded(java.util.function.Supplier<Route> inner) {
    return handleExceptions(exceptions(), () -> handleRejections(rejections(), inner));
  }

  private Route management() {
    return concat(
        path(PathMatchers.segment("v1").slash("nodes"),
            () -> access.authenticated(key -> access.permitted(key, Roles.Action.READ, () -> get(this::listNodes)))),
        path("metrics", () -> get(this::metricsRoute)),
        pathPrefix(
            "health",
            () ->
                concat(
                    path("live", () -> get(() -> completeJson(StatusCodes.OK, Map.of("status", "live")))),
                    path("ready", () -> get(this::ready)))));
  }

  // ---------------------------------------------------------------- functions

  private Route functionRoutes(ApiKeyStore.Key key) {
    return concat(
        pathEnd(() -> get(() -> access.permitted(key, Roles.Action.READ, this::listFunctions))),
        pathPrefix(
            PathMatchers.segment(),
            name ->
                concat(
                    pathEnd(
                        () ->
                            concat(
                                put(() -> access.permitted(key, Roles.Action.WRITE, () -> deploy(name))),
                                get(() -> access.permitted(key, Roles.Action.READ, () -> getFunction(name))),
                                delete(() -> access.permitted(key, Roles.Action.WRITE, () -> deleteFunction(name))))),
                    path("invoke", () -> post(() -> access.permitted(key, Roles.Action.INVOKE, () -> invoke(name)))),
                    path("logs", () -> get(() -> access.permitted(key, Roles.Action.READ, () -> logs(name)))),
                    asyncApi.functionRoutes(key, name))));
  }

  /**
   * Deploy: the body is read (at most {@code max-deploy-size}, 413 beyond), checked off the route's
   * thread ({@link DeployChecks}: JSON, limits, the module validated and hashed), the module put in
   * the module store (idempotent: content-addressed), and only then the spec, naming the module by
   * its hash, sent to the function's entity, which journals it.
   */
  private Route deploy(String name) {
    return extractRequestEntity(
        requestEntity -> {
          // a body that says it is too large is refused before it is read (with Expect: 100-continue,
          // before it is sent): the entity stream is never started
          java.util.OptionalLong length = requestEntity.getContentLengthOption();
          if (length.isPresent() && length.getAsLong() > settings.maxDeployBytes()) {
            return error(StatusCodes.PAYLOAD_TOO_LARGE, "payload_too_large",
                "the deploy's body is " + length.getAsLong() + " bytes, more than the limit of "
                    + settings.maxDeployBytes() + " bytes (a module of at most " + settings.maxModuleBytes()
                    + " bytes, base64-encoded)");
          }
          return deployBody(name);
        });
  }

  private Route deployBody(String name) {
    return optionalHeaderValueByName(
        "If-Match",
        ifMatch ->
            withSizeLimit(
                settings.maxDeployBytes(),
                () ->
                    entity(
                        Unmarshaller.entityToByteArray(),
                        body -> {
                          if (!FunctionSpec.validName(name)) {
                            return error(StatusCodes.BAD_REQUEST, "invalid_name",
                                "function names are 1-63 lower-case letters, digits or '-'");
                          }
                          long expected;
                          try {
                            expected = ifMatch.map(v -> Long.parseLong(v.replace("\"", "").trim())).orElse(0L);
                          } catch (NumberFormatException e) {
                            return error(StatusCodes.BAD_REQUEST, "invalid_if_match", "If-Match must be a version number");
                          }
                          return onSuccess(
                              deployChecks.check(name, body),
                              outcome ->
                                  outcome instanceof DeployChecks.Valid valid
                                      ? deployValid(name, valid, expected)
                                      : refused((DeployChecks.Refused) outcome));
                        })));
  }

  private Route deployValid(String name, DeployChecks.Valid valid, long expected) {
    return onSuccess(
        journalReachable.get().exceptionally(e -> false),
        reachable -> {
          if (!reachable) {
            return error(StatusCodes.SERVICE_UNAVAILABLE, "journal_unavailable",
                "the journal (Cassandra) is not reachable, so the deploy cannot be made durable;"
                    + " nothing was changed, retry when it is back");
          }
          FunctionSpec spec = valid.spec();
          CompletionStage<String> stored =
              modules
                  .store(spec.module().sha256(), valid.code())
                  .handle((written, e) -> e == null ? "" : rootMessage(e));
          return onSuccess(
              stored,
              failure -> {
                if (!failure.isEmpty()) {
                  return error(StatusCodes.SERVICE_UNAVAILABLE, "module_store_unavailable",
                      "the module store (Cassandra) did not store the module: " + failure
                          + "; nothing was changed, retry when it is back");
                }
                CompletionStage<FunctionEntity.DeployReply> reply =
                    function(name).ask(r -> new FunctionEntity.Deploy(spec, expected, r), settings.controlTimeout());
                return onSuccess(reply, r -> r instanceof FunctionEntity.Deployed
                    ? asyncApi.afterDeploy(name, spec, () -> deployed(name, r))
                    : deployed(name, r));
              });
        });
  }

  private Route refused(DeployChecks.Refused r) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("error", r.error());
    body.put("message", r.message());
    HttpResponse response =
        HttpResponse.create()
            .withStatus(r.status())
            .withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON, toJson(body)));
    return complete(r.retryAfter() ? response.addHeader(RawHeader.create("Retry-After", "1")) : response);
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }

  private Route deployed(String name, FunctionEntity.DeployReply reply) {
    if (reply instanceof FunctionEntity.Deployed d) {
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("name", name);
      body.put("version", d.version());
      body.put("created", d.created());
      return completeJson(d.created() ? StatusCodes.CREATED : StatusCodes.OK, body);
    }
    FunctionEntity.DeployRejected rejected = (FunctionEntity.DeployRejected) reply;
    return switch (rejected.reason()) {
      case CONFLICT -> error(StatusCodes.CONFLICT, "conflict", rejected.message());
      case UNAVAILABLE -> error(StatusCodes.SERVICE_UNAVAILABLE, "journal_unavailable", rejected.message());
      case INVALID -> error(StatusCodes.BAD_REQUEST, "invalid_spec", rejected.message());
    };
  }

  private Route getFunction(String name) {
    if (!FunctionSpec.validName(name)) {
      return notFound(name);
    }
    return onSuccess(
        function(name).ask(FunctionEntity.Get::new, settings.controlTimeout()),
        status -> status.found() ? completeJson(StatusCodes.OK, describe(status)) : notFound(name));
  }

  /** The most entries one page of a function's invocation log holds. */
  static final int MAX_LOG_PAGE = 1000;

  /**
   * {@code GET /v1/functions/{name}/logs[?limit=N][&after=seq]}: the function's invocation log, oldest
   * first: the {@code limit} (100) most recent calls, or those after {@code after} ({@code next} of
   * the previous page) to follow it. Kept in the function's memory only (docs/architecture.md).
   */
  private Route logs(String name) {
    if (!FunctionSpec.validName(name)) {
      return notFound(name);
    }
    return parameterOptional("limit", limitParam -> parameterOptional("after", afterParam -> {
      int limit;
      long after;
      try {
        limit = limitParam.map(Integer::parseInt).orElse(100);
      } catch (NumberFormatException e) {
        limit = -1;
      }
      try {
        after = afterParam.map(Long::parseLong).orElse(-1L);
      } catch (NumberFormatException e) {
        after = -2;
      }
      if (limit < 1 || limit > MAX_LOG_PAGE) {
        return error(StatusCodes.BAD_REQUEST, "invalid_limit", "limit must be a whole number from 1 to " + MAX_LOG_PAGE);
      }
      if (after < -1 || (afterParam.isPresent() && after < 0)) {
        return error(StatusCodes.BAD_REQUEST, "invalid_after", "after must be a log entry's number (0 or more)");
      }
      long from = after;
      int max = limit;
      return onSuccess(
          function(name).<FunctionEntity.Logs>ask(replyTo -> new FunctionEntity.GetLogs(from, max, replyTo),
              settings.controlTimeout()),
          page -> {
            if (!page.found()) {
              return notFound(name);
            }
            List<Map<String, Object>> entries = new ArrayList<>(page.entries().size());
            for (FunctionEntity.LogEntry e : page.entries()) {
              Map<String, Object> entry = new LinkedHashMap<>();
              entry.put("seq", e.seq());
              entry.put("endedAt", java.time.Instant.ofEpochMilli(e.atMs()).toString());
              entry.put("status", e.status().isEmpty() ? "unknown" : e.status().toLowerCase(java.util.Locale.ROOT));
              entry.put("message", e.message());
              entry.put("durationMs", e.durationMicros() / 1000.0);
              entry.put("instance", e.instanceId());
              entry.put("kind", e.kind());
              entry.put("node", e.nodeId());
              entry.put("stderrTail", e.stderrTail());
              entries.add(entry);
            }
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("name", name);
            body.put("entries", entries);
            body.put("next", page.next());
            body.put("missed", page.missed());
            return completeJson(StatusCodes.OK, body);
          });
    }));
  }

  /** The most functions one page of {@code GET /v1/functions} describes. */
  static final int MAX_PAGE = 1000;

  /**
   * {@code GET /v1/functions[?limit=N][&after=name]}: deployed functions in name order, a page at a
   * time ({@code next} names the last one when more follow). Each function is asked on its own: one
   * that does not answer within the control timeout is listed under {@code unavailable} instead of
   * failing the whole listing.
   */
  private Route listFunctions() {
    return parameterOptional(
        "limit",
        limitParam ->
            parameterOptional(
                "after",
                after -> {
                  int limit = MAX_PAGE;
                  if (limitParam.isPresent()) {
                    try {
                      limit = Integer.parseInt(limitParam.get());
                    } catch (NumberFormatException e) {
                      limit = -1;
                    }
                    if (limit < 1 || limit > MAX_PAGE) {
                      return error(StatusCodes.BAD_REQUEST, "invalid_limit",
                          "limit must be a whole number from 1 to " + MAX_PAGE);
                    }
                  }
                  return listPage(limit, after.orElse(null));
                }));
  }

  private Route listPage(int limit, String after) {
    CompletionStage<Map<String, Object>> page =
        FunctionCatalog.ref(sharding)
            .<FunctionCatalog.Names>ask(
                replyTo -> new FunctionCatalog.ListNames(after == null ? "" : after, limit, replyTo),
                settings.controlTimeout())
            .thenComposeAsync(
                names -> {
                  FunctionListing.Page chosen = FunctionListing.Page.of(names.names(), names.more());
                  List<CompletableFuture<FunctionStatus>> each = new ArrayList<>();
                  for (String n : chosen.names()) {
                    each.add(
                        function(n)
                            .ask(FunctionEntity.Get::new, settings.controlTimeout())
                            .toCompletableFuture()
                            .exceptionally(error -> null)); // listed as unavailable
                  }
                  return CompletableFuture.allOf(each.toArray(CompletableFuture[]::new))
                      .thenApplyAsync(
                          v ->
                              FunctionListing.body(
                                  chosen,
                                  each.stream().map(CompletableFuture::join).toList(),
                                  s -> s.found() ? describe(s) : null),
                          executor);
                },
                executor);
    return onSuccess(page, body -> completeJson(StatusCodes.OK, body));
  }

  private Map<String, Object> describe(FunctionStatus s) {
    FunctionSpec spec = s.spec();
    Map<String, Object> specJson = new LinkedHashMap<>();
    specJson.put("runtime", spec.runtime());
    specJson.put("module", Map.of("sha256", spec.module().sha256(), "sizeBytes", spec.module().sizeBytes()));
    specJson.put("memoryMb", spec.memoryMb());
    specJson.put("timeoutMs", spec.timeoutMs());
    specJson.put("concurrency", spec.concurrency());
    specJson.put("minScale", spec.minScale());
    specJson.put("maxScale", spec.maxScale());
    specJson.put("envNames", new java.util.TreeSet<>(spec.env().keySet())); // values are write-only: secrets live there
    specJson.put("controlPlaneMode", s.mode());
    specJson.put("regularTrackDelayMs", spec.regularTrackDelayMs());
    specJson.put("autoscaling", spec.autoscaling());
    specJson.put("asyncRetries", spec.async().retries());
    specJson.put("asyncConcurrency", spec.async().concurrency());
    specJson.put("asyncBackoffMs", spec.async().backoffMs());
    specJson.put("schedules", spec.async().schedules());
    specJson.put("asyncDeadLetterFunction", spec.async().deadLetterFunction());

    Map<String, Map<String, Integer>> byKind = new LinkedHashMap<>();
    byKind.put("regular", new LinkedHashMap<>());
    byKind.put("emergency", new LinkedHashMap<>());
    List<Map<String, Object>> instances = new ArrayList<>();
    for (FunctionStatus.InstanceStatus i : s.instances()) {
      byKind.get(i.kind().label()).merge(i.state(), 1, Integer::sum);
      Map<String, Object> inst = new LinkedHashMap<>();
      inst.put("id", i.instanceId());
      inst.put("kind", i.kind().label());
      inst.put("state", i.state());
      inst.put("node", i.nodeId());
      inst.put("inFlight", i.inFlight());
      inst.put("concurrency", i.concurrency());
      instances.add(inst);
    }
    FunctionStatus.Stats st = s.stats();
    Map<String, Object> stats = new LinkedHashMap<>();
    stats.put("invocations", Map.of("regular", st.regularInvocations(), "emergency", st.emergencyInvocations()));
    stats.put("coldStarts", Map.of("regular", st.regularColdStarts(), "emergency", st.emergencyColdStarts()));
    stats.put("emergencySpawns", st.emergencySpawns());
    stats.put("emergencyRetirements", st.emergencyRetirements());
    stats.put("rejected", st.rejected());
    stats.put("panic", st.panic());
    stats.put("desiredRegular", st.desiredRegular());
    stats.put("instanceSeconds", Map.of("regular", st.regularInstanceMs() / 1000.0, "emergency", st.emergencyInstanceMs() / 1000.0));
    stats.put("mbSeconds", Map.of("regular", st.regularMbMs() / 1000.0, "emergency", st.emergencyMbMs() / 1000.0));
    stats.put("touchedMbSeconds",
        Map.of("regular", st.touchedRegularMbMs() / 1000.0, "emergency", st.touchedEmergencyMbMs() / 1000.0));
    stats.put("peakInstances", Map.of("regular", st.peakRegular(), "emergency", st.peakEmergency()));
    stats.put("evictions", Map.of("regular", st.evictedRegular(), "emergency", st.evictedEmergency()));
    stats.put("expired", st.expired());
    stats.put("noCapacity", st.noCapacity());

    Map<String, Object> out = new LinkedHashMap<>();
    out.put("name", spec.name());
    out.put("version", s.version());
    out.put("member", s.member());
    out.put("spec", specJson);
    out.put("instancesByKind", byKind);
    out.put("instances", instances);
    out.put("inFlight", s.inFlight());
    out.put("queued", s.queued());
    out.put("stats", stats);
    return out;
  }

  private Route deleteFunction(String name) {
    if (!FunctionSpec.validName(name)) {
      return notFound(name);
    }
    return onSuccess(
        function(name).ask(FunctionEntity.Delete::new, settings.controlTimeout()),
        reply -> {
          if (reply.unavailable()) {
            return error(StatusCodes.SERVICE_UNAVAILABLE, "journal_unavailable", reply.message());
          }
          if (!reply.found()) {
            return notFound(name);
          }
          asyncApi.afterDelete(name);
          return completeJson(StatusCodes.OK, Map.of("name", name, "deleted", true));
        });
  }

  // ---------------------------------------------------------------- invoke

  private Route invoke(String name) {
    if (!FunctionSpec.validName(name)) {
      return notFound(name);
    }
    return extractRequest(request -> AsyncApi.wanted(request) ? asyncApi.accept(name) : Bodies.bounded(
        settings.maxInvokeBytes(),
                input -> {
                  long started = System.nanoTime();
                  String requestId = newRequestId();
                  // a large input travels apart, fetched by the Wavelet that runs the call
                  Blobs.Ref inputRef = blobs.large(input) ? blobs.put(input, settings.invokeTimeout()) : null;
                  CompletionStage<InvocationReply> answered =
                      pending.invoke(name, inputRef == null ? input : new byte[0], inputRef, requestId)
                          .thenComposeAsync(this::withOutput, executor)
                          .whenComplete((r, e) -> {
                            if (inputRef != null) {
                              blobs.remove(inputRef);
                            }
                          });
                  return onSuccess(answered, r -> invoked(name, r, started, requestId));
                }));
  }

  /**
   * A synchronous call's id: {@code req_} and 16 hex digits, random. The guest sees it as {@code
   * WAVELINK_INVOCATION_ID} and the caller in {@code X-WaveLink-Invocation-Id} (an async call's id
   * is its {@code inv_} id instead).
   */
  private static String newRequestId() {
    return "req_" + java.util.HexFormat.of().toHexDigits(java.util.concurrent.ThreadLocalRandom.current().nextLong());
  }

  /** The reply with its output inline: a large output is fetched from the Wavelet that holds it. */
  private CompletionStage<InvocationReply> withOutput(InvocationReply reply) {
    if (reply.outputRef() == null) {
      return CompletableFuture.completedFuture(reply);
    }
    return blobs.get(reply.outputRef(), true).thenApply(reply::withOutput);
  }

  private Route invoked(String name, InvocationReply r, long startedNanos, String requestId) {
    String kind = r.kind() == null ? "none" : r.kind().label();
    gatewayMetrics.answered(name, kind, r.status(), System.nanoTime() - startedNanos);
    List<HttpHeader> headers = new ArrayList<>();
    headers.add(RawHeader.create("X-WaveLink-Invocation-Id", requestId));
    if (!r.instanceId().isEmpty()) {
      headers.add(RawHeader.create("X-WaveLink-Instance", r.instanceId()));
      headers.add(RawHeader.create("X-WaveLink-Instance-Kind", kind));
      headers.add(RawHeader.create("X-WaveLink-Cold-Start", Boolean.toString(r.coldStart())));
      headers.add(RawHeader.create("X-WaveLink-Duration-Ms", millis(r.durationMicros())));
      if (r.execution() != null) {
        headers.add(RawHeader.create("X-WaveLink-Execution", r.execution().label()));
      }
    }
    return switch (r.status()) {
      case OK -> complete(
          HttpResponse.create()
              .withStatus(StatusCodes.OK)
              .addHeaders(headers)
              .withEntity(HttpEntities.create(ContentTypes.APPLICATION_OCTET_STREAM, r.output())));
      case FUNCTION_ERROR -> errorWith(StatusCodes.BAD_GATEWAY, "function_error", r, headers);
      case TIMEOUT -> errorWith(StatusCodes.GATEWAY_TIMEOUT, "timeout", r, headers);
      case NOT_FOUND -> notFound(name);
      case OVERLOADED -> {
        headers.add(RawHeader.create("Retry-After", "1"));
        yield errorWith(StatusCodes.TOO_MANY_REQUESTS, "overloaded", r, headers);
      }
      case UNAVAILABLE -> errorWith(StatusCodes.SERVICE_UNAVAILABLE, "unavailable", r, headers);
      case INSTANCE_LOST -> errorWith(StatusCodes.SERVICE_UNAVAILABLE, "instance_lost", r, headers);
      case NO_CAPACITY -> {
        headers.add(RawHeader.create("Retry-After", "5"));
        yield errorWith(StatusCodes.SERVICE_UNAVAILABLE, "no_capacity", r, headers);
      }
    };
  }

  /** Microseconds as milliseconds with three decimals ("12.345"), without a formatter per call. */
  static String millis(long micros) {
    long m = Math.max(0, micros);
    long frac = m % 1000;
    return (m / 1000) + (frac < 10 ? ".00" : frac < 100 ? ".0" : ".") + frac;
  }

  private Route errorWith(StatusCode status, String code, InvocationReply r, List<HttpHeader> headers) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("error", code);
    body.put("message", r.message());
    if (!r.stderrTail().isEmpty()) {
      body.put("stderr", r.stderrTail());
    }
    return complete(
        HttpResponse.create()
            .withStatus(status)
            .addHeaders(headers)
            .withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON, toJson(body))));
  }

  // ---------------------------------------------------------------- nodes, metrics, health

  private Route listNodes() {
    List<Map<String, Object>> nodes = new ArrayList<>();
    for (NodeDirectory.Node n : directory.view().nodes()) {
      Map<String, Object> node = new LinkedHashMap<>();
      node.put("id", n.nodeId());
      node.put("status", n.state());
      node.put("wavelet", n.wavelet().path().toString());
      if (n.status() != null) {
        node.put("member", n.status().member());
        node.put("capacityMb", n.status().capacityMb());
        node.put("allocatedMb", n.status().allocatedMb());
        node.put("touchedMb", n.status().touchedMb());
        node.put("linearMemoryInUseMb", n.status().linearMemoryInUseMb());
        node.put("reclaimableMb", n.status().reclaimableMb());
        node.put("waitingMb", n.status().waitingMb());
        node.put("inFlight", n.status().inFlight());
        node.put("modules", n.status().modules());
        node.put("moduleFetches", n.status().moduleFetches());
        List<Map<String, Object>> instances = new ArrayList<>();
        n.status()
            .instances()
            .forEach(
                i -> {
                  Map<String, Object> inst = new LinkedHashMap<>();
                  inst.put("id", i.instanceId());
                  inst.put("function", i.function());
                  inst.put("version", i.version());
                  inst.put("kind", i.kind().label());
                  inst.put("memoryMb", i.memoryMb());
                  inst.put("inFlight", i.inFlight());
                  inst.put("ready", i.ready());
                  inst.put("idleMs", i.idleMs());
                  inst.put("touchedMb", i.touchedMb());
                  instances.add(inst);
                });
        node.put("instances", instances);
      }
      nodes.add(node);
    }
    return completeJson(StatusCodes.OK, Map.of("nodes", nodes));
  }

  private Route metricsRoute() {
    return complete(
        HttpResponse.create()
            .withStatus(StatusCodes.OK)
            .withEntity(
                HttpEntities.create(
                    ContentTypes.TEXT_PLAIN_UTF8, metrics.get().getBytes(StandardCharsets.UTF_8))));
  }

  private Route ready() {
    return onSuccess(
        readiness.get().exceptionally(e -> false),
        ok ->
            ok
                ? completeJson(StatusCodes.OK, Map.of("status", "ready"))
                : error(StatusCodes.SERVICE_UNAVAILABLE, "not_ready",
                    "the member is not Up or the journal (Cassandra) is not reachable yet"));
  }

  // ---------------------------------------------------------------- errors

  private org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef<FunctionEntity.Command> function(String name) {
    return sharding.entityRefFor(FunctionEntity.TYPE_KEY, name);
  }

  private Route notFound(String name) {
    return error(StatusCodes.NOT_FOUND, "not_found", "function " + name + " is not deployed");
  }

  private Route error(StatusCode status, String code, String message) {
    return ApiResponses.error(status, code, message);
  }

  private Route completeJson(StatusCode status, Object body) {
    return ApiResponses.json(status, body);
  }

  private byte[] toJson(Object body) {
    return ApiResponses.toJson(body);
  }

  private ExceptionHandler exceptions() {
    return ExceptionHandler.newBuilder()
        .match(CompletionException.class, e -> handle(e.getCause() == null ? e : e.getCause()))
        .matchAny(this::handle)
        .build();
  }

  private Route handle(Throwable e) {
    if (e instanceof CompletionException && e.getCause() != null) {
      e = e.getCause();
    }
    if (e instanceof EntityStreamSizeException size) {
      return error(StatusCodes.PAYLOAD_TOO_LARGE, "payload_too_large",
          "the request body is larger than the limit of " + size.limit() + " bytes");
    }
    if (e instanceof com.datastax.oss.driver.api.core.DriverException) {
      return error(StatusCodes.SERVICE_UNAVAILABLE, "storage_unavailable", "Cassandra did not answer: retry");
    }
    if (e instanceof TimeoutException || e instanceof AskTimeoutException) {
      return error(StatusCodes.GATEWAY_TIMEOUT, "timeout", "no answer from the control plane in time");
    }
    log.error("Unexpected failure serving a request", e);
    return error(StatusCodes.INTERNAL_SERVER_ERROR, "internal", "internal error: " + e.getClass().getSimpleName());
  }

  private RejectionHandler rejections() {
    return RejectionHandler.defaultHandler()
        .mapRejectionResponse(
            response -> {
              if (response.entity().getContentType().equals(ContentTypes.APPLICATION_JSON)) {
                return response;
              }
              String text =
                  response.entity() instanceof org.apache.pekko.http.javadsl.model.HttpEntity.Strict strict
                      ? strict.getData().utf8String()
                      : response.status().reason();
              Map<String, Object> body = new LinkedHashMap<>();
              body.put("error", response.status().reason().toLowerCase(Locale.ROOT).replace(' ', '_'));
              body.put("message", text);
              return response.withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON, toJson(body)));
            });
  }
}
