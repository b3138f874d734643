package io.wavelink.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code bin/wavelink fn ...} and {@code bin/wavelink nodes}: the function CLI, in the manner of
 * {@code wsk}, {@code faas-cli} and {@code kn}, over the HTTP API (README.md, docs/operations.md).
 *
 * <p>Exit status, for scripts: 0 done; 1 the function ran and failed (HTTP 502: a trap or a nonzero
 * exit); 2 a bad command line or an unreadable file; 3 not found (404); 4 refused (400, 409, 413,
 * 429: the message says why); 5 the platform could not answer (503, 504, other 5xx); 6 no
 * connection to the gateway.
 */
public final class FunctionCli {

  static final int OK = 0;
  static final int FUNCTION_FAILED = 1;
  static final int USAGE = 2;
  static final int NOT_FOUND = 3;
  static final int REFUSED = 4;
  static final int UNAVAILABLE = 5;
  static final int NO_CONNECTION = 6;

  static final String HELP =
      """
      usage: wavelink fn deploy NAME FILE.wasm [--memory MB] [--timeout MS] [--concurrency N]
                               [--min N] [--max N] [--mode dual|sync|async] [--env K=V]...
             wavelink fn invoke NAME [--data TEXT | --data @FILE | --data -] [-v] [--async]
             wavelink fn invocation ID
             wavelink fn list
             wavelink fn get NAME
             wavelink fn logs NAME [--limit N] [-f]
             wavelink fn delete NAME
             wavelink nodes
      options: --url URL   the gateway (default $WAVELINK_URL, else http://localhost:8080)
               --api-key KEY   the API key (default $WAVELINK_API_KEY; bin/wavelink reads data/admin.key)
      invoke prints the function's output as is; -v also prints the X-WaveLink-* headers to stderr;
      --async makes an asynchronous call and prints its id, which fn invocation ID follows.
      logs prints the function's recent calls (its invocation log, oldest first) with their stderr;
      -f follows it until interrupted.
      exit status: 0 done, 1 the function failed (502), 2 bad command line, 3 not found,
      4 refused (400/409/413/429), 5 platform unavailable or timed out (5xx), 6 no connection.""";

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** A mistake on the command line, or a file that cannot be read: exit status 2. */
  static final class Usage extends Exception {
    Usage(String message) {
      super(message);
    }
  }

  private final String url;
  /** sent as Authorization: Bearer; null when the gateway needs none */
  private final String apiKey;
  private final HttpClient client;
  private final InputStream stdin;
  private final PrintStream out;
  private final PrintStream err;

  private FunctionCli(String url, String apiKey, InputStream stdin, PrintStream out, PrintStream err) {
    this.url = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    this.apiKey = apiKey == null || apiKey.isBlank() ? null : apiKey.strip();
    this.client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    this.stdin = stdin;
    this.out = out;
    this.err = err;
  }

  public static void main(String[] args) {
    System.exit(run(args, System.getenv("WAVELINK_URL"), System.getenv("WAVELINK_API_KEY"), System.in, System.out, System.err));
  }

  /** As {@link #run(String[], String, String, InputStream, PrintStream, PrintStream)}, without an API key. */
  public static int run(String[] argv, String envUrl, InputStream stdin, PrintStream out, PrintStream err) {
    return run(argv, envUrl, null, stdin, out, err);
  }

  /**
   * Runs one command line ({@code fn ...} or {@code nodes}); returns the exit status. Never prints a
   * stack trace for a user's mistake or an error answer.
   */
  public static int run(String[] argv, String envUrl, String envKey, InputStream stdin, PrintStream out, PrintStream err) {
    List<String> args = new ArrayList<>(List.of(argv));
    String url = envUrl == null || envUrl.isBlank() ? "http://localhost:8080" : envUrl;
    String apiKey = envKey;
    try {
      String given = take(args, "--url");
      if (given != null) {
        url = given;
      }
      String key = take(args, "--api-key");
      if (key != null) {
        apiKey = key;
      }
      if (args.isEmpty() || args.contains("--help") || args.contains("-h") || args.get(0).equals("help")) {
        (args.isEmpty() ? err : out).println(HELP);
        return args.isEmpty() ? USAGE : OK;
      }
      if (!url.startsWith("http://") && !url.startsWith("https://")) {
        throw new Usage("--url must start with http:// or https://: " + url);
      }
      FunctionCli cli = new FunctionCli(url, apiKey, stdin, out, err);
      String group = args.remove(0);
      if (group.equals("nodes")) {
        noMore(args);
        return cli.nodes();
      }
      if (!group.equals("fn")) {
        throw new Usage("unknown command '" + group + "' (fn or nodes)");
      }
      if (args.isEmpty()) {
        throw new Usage("fn needs a subcommand: deploy, invoke, invocation, list, get, logs or delete");
      }
      String sub = args.remove(0);
      return switch (sub) {
        case "deploy" -> cli.deploy(args);
        case "invoke" -> cli.invoke(args);
        case "list" -> {
          noMore(args);
          yield cli.list();
        }
        case "get" -> cli.show(name(args));
        case "invocation" -> cli.invocation(name(args));
        case "logs" -> cli.logs(args);
        case "delete" -> cli.delete(name(args));
        default -> throw new Usage("unknown subcommand 'fn " + sub + "' (deploy, invoke, invocation, list, get, logs or delete)");
      };
    } catch (Usage e) {
      err.println("wavelink: " + e.getMessage());
      err.println(HELP);
      return USAGE;
    } catch (ConnectException e) {
      err.println("wavelink: cannot connect to " + url + " (is WaveLink running? set --url or WAVELINK_URL)");
      return NO_CONNECTION;
    } catch (HttpTimeoutException e) {
      err.println("wavelink: " + url + " did not answer in time");
      return UNAVAILABLE;
    } catch (IOException e) {
      err.println("wavelink: talking to " + url + " failed: " + e);
      return NO_CONNECTION;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return UNAVAILABLE;
    }
  }

  // ---------------------------------------------------------------- commands

  private int deploy(List<String> args) throws Usage, IOException, InterruptedException {
    Map<String, Object> spec = new LinkedHashMap<>();
    spec.put("runtime", "wasm");
    putInt(spec, "memoryMb", take(args, "--memory"));
    putInt(spec, "timeoutMs", take(args, "--timeout"));
    putInt(spec, "concurrency", take(args, "--concurrency"));
    putInt(spec, "minScale", take(args, "--min"));
    putInt(spec, "maxScale", take(args, "--max"));
    String mode = take(args, "--mode");
    if (mode != null) {
      spec.put("controlPlaneMode", mode);
    }
    Map<String, String> env = new LinkedHashMap<>();
    for (String kv; (kv = take(args, "--env")) != null; ) {
      int eq = kv.indexOf('=');
      if (eq <= 0) {
        throw new Usage("--env takes KEY=VALUE: " + kv);
      }
      env.put(kv.substring(0, eq), kv.substring(eq + 1));
    }
    if (!env.isEmpty()) {
      spec.put("env", env);
    }
    if (args.size() != 2) {
      throw new Usage("fn deploy takes NAME and FILE.wasm" + (args.size() > 2 ? "; unexpected: " + args.subList(2, args.size()) : ""));
    }
    String name = args.get(0);
    byte[] code = readFile(Path.of(args.get(1)));
    spec.put("code", Base64.getEncoder().encodeToString(code));
    HttpResponse<String> r =
        client.send(
            request("/v1/functions/" + encode(name))
                .timeout(Duration.ofSeconds(120))
                .header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(spec)))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200 && r.statusCode() != 201) {
      return failed(r.statusCode(), r.body());
    }
    JsonNode body = JSON.readTree(r.body());
    out.printf("%s %s: version %d%n", r.statusCode() == 201 ? "deployed" : "updated", name, body.path("version").asLong());
    return OK;
  }

  private int invoke(List<String> args) throws Usage, IOException, InterruptedException {
    boolean verbose = args.remove("-v") | args.remove("--verbose");
    boolean async = args.remove("--async");
    String data = take(args, "--data");
    String name = name(args);
    byte[] input;
    if (data == null) {
      input = new byte[0];
    } else if (data.equals("-")) {
      input = stdin.readAllBytes();
    } else if (data.startsWith("@")) {
      input = readFile(Path.of(data.substring(1)));
    } else {
      input = data.getBytes(StandardCharsets.UTF_8);
    }
    HttpRequest.Builder call = request("/v1/functions/" + encode(name) + "/invoke")
        .timeout(Duration.ofSeconds(330)) // the gateway's own invoke-timeout is 310 s
        .POST(HttpRequest.BodyPublishers.ofByteArray(input));
    if (async) {
      call.header("X-WaveLink-Invocation-Type", "async");
    }
    HttpResponse<byte[]> r = client.send(call.build(), HttpResponse.BodyHandlers.ofByteArray());
    if (verbose) {
      err.println("HTTP " + r.statusCode());
      r.headers().map().forEach((k, v) -> {
        if (k.toLowerCase(java.util.Locale.ROOT).startsWith("x-wavelink-")) {
          v.forEach(value -> err.println(k + ": " + value));
        }
      });
    }
    if (async && r.statusCode() == 202) {
      out.println(JSON.readTree(r.body()).path("id").asText());
      return OK;
    }
    if (r.statusCode() != 200) {
      return failed(r.statusCode(), new String(r.body(), StandardCharsets.UTF_8));
    }
    out.write(r.body());
    out.flush();
    return OK;
  }

  private int list() throws IOException, InterruptedException {
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"NAME", "VERSION", "MEMORY_MB", "MIN", "MAX", "MODE", "INSTANCES"});
    String after = null;
    do {
      HttpResponse<String> r = get("/v1/functions?limit=500" + (after == null ? "" : "&after=" + encode(after)));
      if (r.statusCode() != 200) {
        return failed(r.statusCode(), r.body());
      }
      JsonNode page = JSON.readTree(r.body());
      for (JsonNode f : page.path("functions")) {
        JsonNode spec = f.path("spec");
        rows.add(new String[] {
          f.path("name").asText(), f.path("version").asText(), spec.path("memoryMb").asText(),
          spec.path("minScale").asText(), spec.path("maxScale").asText(), spec.path("controlPlaneMode").asText(),
          Integer.toString(f.path("instances").size())
        });
      }
      for (JsonNode u : page.path("unavailable")) {
        rows.add(new String[] {u.asText(), "?", "", "", "", "", "(not answering)"});
      }
      after = page.hasNonNull("next") ? page.get("next").asText() : null;
    } while (after != null);
    printTable(rows);
    return OK;
  }

  /** An asynchronous call's record: status, attempts, stderr, where its result is. */
  private int invocation(String id) throws IOException, InterruptedException {
    HttpResponse<String> r = get("/v1/invocations/" + encode(id));
    if (r.statusCode() != 200) {
      return failed(r.statusCode(), r.body());
    }
    out.println(JSON.writeValueAsString(JSON.readTree(r.body())));
    return OK;
  }

  private int show(String name) throws IOException, InterruptedException {
    HttpResponse<String> r = get("/v1/functions/" + encode(name));
    if (r.statusCode() != 200) {
      return failed(r.statusCode(), r.body());
    }
    out.println(JSON.writeValueAsString(JSON.readTree(r.body())));
    return OK;
  }

  /** The invocation log: the most recent calls, then with -f what comes after, every second. */
  private int logs(List<String> args) throws Usage, IOException, InterruptedException {
    boolean follow = args.remove("-f") | args.remove("--follow");
    String limit = take(args, "--limit");
    if (limit != null && (!limit.matches("[1-9][0-9]{0,3}") || Integer.parseInt(limit) > 1000)) {
      throw new Usage("--limit takes a number from 1 to 1000: " + limit);
    }
    String name = name(args);
    long after = -1;
    while (true) {
      HttpResponse<String> r = get("/v1/functions/" + encode(name) + "/logs?limit=" + (limit == null ? "100" : limit)
          + (after < 0 ? "" : "&after=" + after));
      if (r.statusCode() != 200) {
        return failed(r.statusCode(), r.body());
      }
      JsonNode page = JSON.readTree(r.body());
      if (page.path("missed").asLong() > 0) {
        out.printf("(%d calls not shown: the log keeps only the most recent)%n", page.path("missed").asLong());
      }
      for (JsonNode e : page.path("entries")) {
        out.printf("%s  %-14s %9.1f ms  %-9s %s on %s%n", e.path("endedAt").asText(), e.path("status").asText(),
            e.path("durationMs").asDouble(), e.path("kind").asText(), e.path("instance").asText(), e.path("node").asText());
        String message = e.path("message").asText("");
        if (!message.isEmpty()) {
          out.println("    " + message);
        }
        String stderr = e.path("stderrTail").asText("");
        if (!stderr.isEmpty()) {
          stderr.lines().forEach(l -> out.println("    | " + l));
        }
      }
      out.flush();
      if (!follow) {
        return OK;
      }
      after = page.path("next").asLong();
      // the next poll a second later, until interrupted (Ctrl-C)
      java.util.concurrent.CompletableFuture.runAsync(() -> {},
          java.util.concurrent.CompletableFuture.delayedExecutor(1, java.util.concurrent.TimeUnit.SECONDS)).join();
    }
  }

  private int delete(String name) throws IOException, InterruptedException {
    HttpResponse<String> r =
        client.send(request("/v1/functions/" + encode(name)).DELETE().build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      return failed(r.statusCode(), r.body());
    }
    out.println("deleted " + name);
    return OK;
  }

  private int nodes() throws IOException, InterruptedException {
    HttpResponse<String> r = get("/v1/nodes");
    if (r.statusCode() != 200) {
      return failed(r.statusCode(), r.body());
    }
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"NODE", "STATUS", "CAPACITY_MB", "ALLOCATED_MB", "TOUCHED_MB", "INSTANCES", "IN_FLIGHT", "MEMBER"});
    for (JsonNode n : JSON.readTree(r.body()).path("nodes")) {
      rows.add(new String[] {
        n.path("id").asText(), n.path("status").asText(), n.path("capacityMb").asText(""),
        n.path("allocatedMb").asText(""), n.path("touchedMb").asText(""), Integer.toString(n.path("instances").size()),
        n.path("inFlight").asText(""), n.path("member").asText("")
      });
    }
    printTable(rows);
    return OK;
  }

  // ---------------------------------------------------------------- helpers

  /** An error answer: its message (and a function's stderr) on stderr; the exit status for it. */
  private int failed(int status, String body) {
    String message = body;
    String stderr = null;
    try {
      JsonNode json = JSON.readTree(body);
      if (json.hasNonNull("message")) {
        message = json.path("error").asText("error") + ": " + json.get("message").asText();
      }
      if (json.hasNonNull("stderr")) {
        stderr = json.get("stderr").asText();
      }
    } catch (IOException notJson) {
      // the body as it came
    }
    err.println("wavelink: HTTP " + status + ": " + message);
    if (status == 401) {
      err.println("wavelink: set the API key with --api-key or WAVELINK_API_KEY (the admin key is in the"
          + " member's data directory: data/admin.key)");
    }
    if (stderr != null && !stderr.isEmpty()) {
      err.println("--- the function's stderr (tail) ---");
      err.println(stderr);
    }
    if (status == 502) {
      return FUNCTION_FAILED;
    }
    if (status == 404) {
      return NOT_FOUND;
    }
    if (status >= 400 && status < 500) {
      return REFUSED;
    }
    return UNAVAILABLE;
  }

  private HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return client.send(request(path).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpRequest.Builder request(String path) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url + path)).timeout(Duration.ofSeconds(30));
    return apiKey == null ? b : b.header("Authorization", "Bearer " + apiKey);
  }

  private void printTable(List<String[]> rows) {
    int[] widths = new int[rows.get(0).length];
    for (String[] row : rows) {
      for (int i = 0; i < row.length; i++) {
        widths[i] = Math.max(widths[i], row[i].length());
      }
    }
    for (String[] row : rows) {
      StringBuilder b = new StringBuilder();
      for (int i = 0; i < row.length; i++) {
        b.append(i == row.length - 1 ? row[i] : String.format("%-" + (widths[i] + 2) + "s", row[i]));
      }
      out.println(b.toString().stripTrailing());
    }
  }

  private static byte[] readFile(Path path) throws Usage {
    try {
      return Files.readAllBytes(path);
    } catch (NoSuchFileException e) {
      throw new Usage("no such file: " + path);
    } catch (IOException e) {
      throw new Usage("cannot read " + path + ": " + e.getMessage());
    }
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }

  /** Removes {@code option} and its value from {@code args}; the value, or null if absent. */
  static String take(List<String> args, String option) throws Usage {
    int i = args.indexOf(option);
    if (i < 0) {
      return null;
    }
    if (i + 1 >= args.size()) {
      throw new Usage(option + " needs a value");
    }
    args.remove(i);
    return args.remove(i);
  }

  private static void putInt(Map<String, Object> spec, String field, String value) throws Usage {
    if (value == null) {
      return;
    }
    try {
      spec.put(field, Integer.parseInt(value));
    } catch (NumberFormatException e) {
      throw new Usage("not a whole number for " + field + ": " + value);
    }
  }

  private static String name(List<String> args) throws Usage {
    if (args.size() != 1) {
      throw new Usage(args.isEmpty() ? "a function NAME is needed" : "one NAME only; unexpected: " + args.subList(1, args.size()));
    }
    if (args.get(0).startsWith("-")) {
      throw new Usage("unknown option " + args.get(0));
    }
    return args.get(0);
  }

  private static void noMore(List<String> args) throws Usage {
    if (!args.isEmpty()) {
      throw new Usage("unexpected: " + args);
    }
  }
}
