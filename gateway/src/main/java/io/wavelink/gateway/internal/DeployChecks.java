package io.wavelink.gateway.internal;

import com.fasterxml.jackson.core.Base64Variant;
import com.fasterxml.jackson.core.Base64Variants;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import io.wavelink.function.FunctionSpec;
import io.wavelink.gateway.GatewaySettings;
import io.wavelink.node.ModuleRef;
import io.wavelink.node.sandbox.InvalidModuleException;
import io.wavelink.node.sandbox.SandboxRuntime;
import io.wavelink.persistence.ModuleStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The checks of a deploy request, off the HTTP route's threads: parse the JSON body, decode the
 * base64 module, check the spec against its limits, have the sandbox runtime validate the module
 * (parsed, and instantiated once on a memory without bytes: the memory a module declares is never
 * allocated) and hash it for the module store.
 *
 * <h2>Contract</h2>
 *
 * <ul>
 *   <li>{@link #check} never runs on the caller's thread and never fails: it completes with {@link
 *       Valid} (the spec, naming its module by SHA-256, and the module's bytes to store) or {@link
 *       Refused} (an HTTP status, an error code and a message for the user).
 *   <li>Bounded: at most {@code threads} deploys are checked at once and {@code queue} wait, and
 *       their bodies add up to at most {@code max-bytes} (a deploy alone is always taken); a deploy
 *       beyond that is refused at once with 503 ({@code retryAfter}), the route never waits.
 *   <li>Timed: once its check starts, a deploy is answered within {@code timeout} (400 {@code
 *       invalid_module} if the check has not ended). Chicory's parser cannot be interrupted, so a
 *       check that overran goes on to its end on its thread, which the bound above accounts for.
 *   <li>Refusals: 400 {@code invalid_spec} (not JSON, unknown field, not base64, a null in {@code
 *       env} or {@code autoscaling}, a value out of range, a {@code timeoutMs} the gateway would not
 *       wait for), 400 {@code invalid_module} (the runtime's message), 413 {@code payload_too_large}
 *       (a module over {@code max-module-size}), 503 {@code busy}.
 * </ul>
 */
public final class DeployChecks implements AutoCloseable {

  /** What a deploy's checks found. */
  public sealed interface Outcome {}

  /**
   * A deploy to make: {@code spec} names its module by {@link ModuleRef#stored hash}, {@code code} is
   * that module, to put in the module store first.
   */
  public record Valid(FunctionSpec spec, byte[] code) implements Outcome {}

  /** A deploy refused: answer {@code status} with {@code {"error": error, "message": message}}. */
  public record Refused(int status, String error, String message, boolean retryAfter) implements Outcome {

    static Refused badSpec(String message) {
      return new Refused(400, "invalid_spec", message, false);
    }
  }

  /** The deploy request body; absent fields take their defaults. {@code code} is base64 in the JSON. */
  public record Request(
      String runtime,
      byte[] code,
      Integer memoryMb,
      Long timeoutMs,
      Integer concurrency,
      Integer minScale,
      Integer maxScale,
      Map<String, String> env,
      String controlPlaneMode,
      Long regularTrackDelayMs,
      Map<String, Double> autoscaling,
      Integer asyncRetries,
      Integer asyncConcurrency,
      Long asyncBackoffMs,
      List<FunctionSpec.Schedule> schedules,
      String asyncDeadLetterFunction) {}

  private static final Logger log = LoggerFactory.getLogger(DeployChecks.class);

  private final SandboxRuntime runtime;
  private final GatewaySettings settings;
  private final ThreadPoolExecutor executor;
  /** bodies of the deploys being checked or waiting, in bytes */
  private final java.util.concurrent.atomic.AtomicLong bytesHeld = new java.util.concurrent.atomic.AtomicLong();
  private final ObjectMapper json;
  /** the runtime's verdicts on modules already checked: a module deployed again is not parsed again */
  private final ModuleVerdicts verdicts = new ModuleVerdicts(VERDICTS_KEPT);

  /** how many module verdicts a gateway keeps (a few hundred bytes each) */
  static final int VERDICTS_KEPT = 4096;

  public DeployChecks(SandboxRuntime runtime, GatewaySettings settings) {
    this.runtime = runtime;
    this.settings = settings;
    // the module's base64 is one JSON string as long as the body: Jackson's default bound on a
    // string (20 M characters) would refuse a module of more than 15 MB
    JsonFactory factory =
        JsonFactory.builder()
            .streamReadConstraints(
                StreamReadConstraints.builder()
                    .maxStringLength((int) Math.min(Integer.MAX_VALUE - 8, settings.maxDeployBytes()))
                    .build())
            .build();
    this.json =
        new ObjectMapper(factory)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            // RFC 4648 base64 as `base64 -w0` writes it; padding may be left out
            .setBase64Variant(
                Base64Variants.MIME_NO_LINEFEEDS.withReadPadding(Base64Variant.PaddingReadBehaviour.PADDING_ALLOWED));
    AtomicInteger n = new AtomicInteger();
    BlockingQueue<Runnable> queue =
        settings.validation().queue() == 0
            ? new SynchronousQueue<>()
            : new ArrayBlockingQueue<>(settings.validation().queue());
    this.executor =
        new ThreadPoolExecutor(
            settings.validation().threads(),
            settings.validation().threads(),
            0L,
            TimeUnit.MILLISECONDS,
            queue,
            r -> {
              Thread t = new Thread(r, "wavelink-deploy-check-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            },
            new ThreadPoolExecutor.AbortPolicy());
  }

  /** Checks the deploy of {@code name} (a valid function name) with {@code body}; never fails. */
  public CompletionStage<Outcome> check(String name, byte[] body) {
    CompletableFuture<Outcome> result = new CompletableFuture<>();
    long held = bytesHeld.addAndGet(body.length);
    if (held > settings.validation().maxBytes() && held != body.length) {
      bytesHeld.addAndGet(-body.length);
      result.complete(busy());
      return result;
    }
    result.whenComplete((o, e) -> bytesHeld.addAndGet(-body.length));
    try {
      executor.execute(
          () -> {
            if (result.isDone()) {
              return;
            }
            long limitMs = settings.validation().timeout().toMillis();
            result.completeOnTimeout(
                new Refused(
                    400, "invalid_module",
                    "the deploy could not be checked within " + limitMs + " ms: the module is too costly"
                        + " to parse and validate",
                    false),
                limitMs,
                TimeUnit.MILLISECONDS);
            long started = System.nanoTime();
            try {
              result.complete(checkNow(name, body));
            } catch (OutOfMemoryError e) {
              // the gateway's heap, not the request, fell short: retryable
              log.warn("Checking the deploy of {} ({} bytes) ran out of memory", name, body.length);
              result.complete(new Refused(
                  503, "busy", "the gateway has not the memory to check this deploy now; retry in a moment", true));
            } catch (RuntimeException | StackOverflowError e) {
              log.warn("Checking the deploy of {} failed", name, e);
              result.complete(new Refused(400, "invalid_module", "the module cannot be checked: " + e, false));
            }
            long ms = (System.nanoTime() - started) / 1_000_000;
            if (ms > limitMs) {
              log.warn("Checking the deploy of {} ({} bytes) took {} ms, beyond the limit of {} ms", name,
                  body.length, ms, limitMs);
            }
          });
    } catch (RejectedExecutionException e) {
      result.complete(busy());
    }
    return result;
  }

  /**
   * The decoded size of the top-level-looking {@code "code": "<base64>"} value, from the body's
   * bytes without parsing it (base64 holds no quote or escape, so its end is the next quote); -1
   * when there is none. Only used to refuse an oversized module early: the JSON parse decides the rest.
   */
  static long codeBytesDeclared(byte[] body) {
    byte[] key = "\"code\"".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    outer:
    for (int i = 0; i + key.length < body.length; i++) {
      for (int k = 0; k < key.length; k++) {
        if (body[i + k] != key[k]) {
          continue outer;
        }
      }
      if (i > 0 && body[i - 1] == '\\') {
        continue;
      }
      int j = i + key.length;
      while (j < body.length && (body[j] == ' ' || body[j] == '\t' || body[j] == '\n' || body[j] == '\r')) {
        j++;
      }
      if (j >= body.length || body[j] != ':') {
        continue;
      }
      j++;
      while (j < body.length && (body[j] == ' ' || body[j] == '\t' || body[j] == '\n' || body[j] == '\r')) {
        j++;
      }
      if (j >= body.length || body[j] != '"') {
        continue;
      }
      int start = ++j;
      int padding = 0;
      while (j < body.length && body[j] != '"') {
        if (body[j] == '=') {
          padding++;
        }
        j++;
      }
      long chars = j - start;
      return chars / 4 * 3 + (chars % 4 == 0 ? 0 : (chars % 4) - 1) - padding;
    }
    return -1;
  }

  private Refused busy() {
    return new Refused(
        503, "busy",
        "the gateway is checking as many deploys as it may at once (" + settings.validation().threads()
            + " checked, " + settings.validation().queue() + " waiting, " + (settings.validation().maxBytes() >> 20)
            + " MiB of bodies); retry in a moment",
        true);
  }

  /** The checks, on the calling thread (tests; {@link #check} runs them on the executor). */
  Outcome checkNow(String name, byte[] body) {
    long declared = codeBytesDeclared(body);
    if (declared > settings.maxModuleBytes()) {
      // refused from its length alone: no 50 MiB decoded only to be thrown away
      return new Refused(
          413, "payload_too_large",
          "the module is " + declared + " bytes, more than the limit of " + settings.maxModuleBytes()
              + " bytes (" + (settings.maxModuleBytes() >> 20) + " MiB)",
          false);
    }
    Request request;
    try {
      request = json.readValue(body, Request.class);
    } catch (UnrecognizedPropertyException e) {
      return Refused.badSpec("unknown field \"" + e.getPropertyName() + "\"");
    } catch (JsonMappingException e) {
      String field = e.getPath().isEmpty() ? "" : e.getPath().get(e.getPath().size() - 1).getFieldName();
      if ("code".equals(field)) {
        return Refused.badSpec("code must be a base64-encoded WebAssembly module: " + base64Problem(e));
      }
      return Refused.badSpec(
          "the body must be a JSON function spec" + (field == null || field.isEmpty() ? "" : " (field \"" + field + "\")")
              + ": " + firstLine(e.getOriginalMessage()));
    } catch (Exception e) {
      return Refused.badSpec("the body must be a JSON function spec: " + firstLine(e.getMessage()));
    }
    if (request == null) {
      return Refused.badSpec("the body must be a JSON function spec");
    }
    byte[] code = request.code() == null ? new byte[0] : request.code();
    if (code.length > settings.maxModuleBytes()) {
      return new Refused(
          413, "payload_too_large",
          "the module is " + code.length + " bytes, more than the limit of " + settings.maxModuleBytes()
              + " bytes (" + (settings.maxModuleBytes() >> 20) + " MiB)",
          false);
    }
    FunctionSpec spec;
    try {
      spec = toSpec(name, request, code);
    } catch (IllegalArgumentException e) {
      return Refused.badSpec(e.getMessage());
    }
    List<String> problems = new ArrayList<>(spec.problems());
    if (spec.timeoutMs() > settings.maxFunctionTimeoutMs()) {
      problems.removeIf(p -> p.startsWith("timeoutMs "));
      problems.add(
          "timeoutMs must be at most " + settings.maxFunctionTimeoutMs() + ": this gateway waits at most "
              + settings.invokeTimeout().toMillis() + " ms for an answer (wavelink.gateway.invoke-timeout) and keeps "
              + GatewaySettings.FUNCTION_TIMEOUT_MARGIN.toMillis() + " ms of it for the answer's way back");
    }
    if (!problems.isEmpty()) {
      return Refused.badSpec(String.join("; ", problems));
    }
    String hash = ModuleStore.sha256(code);
    String problem = verdicts.verdict(hash, spec.memoryMb(), () -> {
      try {
        runtime.validate(code, spec.memoryMb());
        return null;
      } catch (InvalidModuleException e) {
        return e.getMessage();
      }
    });
    if (problem != null) {
      return new Refused(400, "invalid_module", problem, false);
    }
    return new Valid(withModule(spec, ModuleRef.stored(hash, code.length)), code);
  }

  private static FunctionSpec toSpec(String name, Request r, byte[] code) {
    return new FunctionSpec(
        name,
        r.runtime() == null ? FunctionSpec.WASM : r.runtime(),
        code.length == 0 ? ModuleRef.NONE : ModuleRef.inline(code),
        r.memoryMb() == null ? 128 : r.memoryMb(),
        r.timeoutMs() == null ? 10_000 : r.timeoutMs(),
        r.concurrency() == null ? 1 : r.concurrency(),
        r.minScale() == null ? 0 : r.minScale(),
        r.maxScale() == null ? 10 : r.maxScale(),
        r.env(),
        r.controlPlaneMode(),
        r.regularTrackDelayMs() == null ? -1 : r.regularTrackDelayMs(),
        r.autoscaling(),
        new FunctionSpec.AsyncPolicy(
            r.asyncRetries() == null ? FunctionSpec.AsyncPolicy.DEFAULT.retries() : r.asyncRetries(),
            r.asyncConcurrency() == null ? FunctionSpec.AsyncPolicy.DEFAULT.concurrency() : r.asyncConcurrency(),
            r.asyncBackoffMs() == null ? FunctionSpec.AsyncPolicy.DEFAULT.backoffMs() : r.asyncBackoffMs(),
            r.schedules(),
            r.asyncDeadLetterFunction()));
  }

  private static FunctionSpec withModule(FunctionSpec s, ModuleRef module) {
    return new FunctionSpec(
        s.name(), s.runtime(), module, s.memoryMb(), s.timeoutMs(), s.concurrency(), s.minScale(), s.maxScale(),
        s.env(), s.controlPlaneMode(), s.regularTrackDelayMs(), s.autoscaling(), s.async());
  }

  /** Jackson's reason for refusing a base64 string, without the string itself. */
  private static String base64Problem(JsonMappingException e) {
    String m = firstLine(e.getOriginalMessage());
    int at = m.indexOf("base64");
    int colon = at < 0 ? -1 : m.indexOf("): ", at);
    return colon < 0 ? "not valid base64 (RFC 4648, standard alphabet)" : m.substring(colon + 3);
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }

  /** How many times the runtime validated a module (tests): a verdict kept is not counted again. */
  long validations() {
    return verdicts.computed();
  }

  /** Deploys being checked or waiting (tests, metrics). */
  public int inProgress() {
    return executor.getActiveCount() + executor.getQueue().size();
  }

  @Override
  public void close() {
    executor.shutdownNow();
  }
}
