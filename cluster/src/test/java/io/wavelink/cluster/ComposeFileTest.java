package io.wavelink.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Docker Compose deployment ({@code deploy/docker-compose/}), checked without an engine: the
 * compose file is validated and resolved by {@code docker-compose config} (Debian's docker-compose
 * 1.29, which {@code .ci/run} installs) and the member image's entrypoint script is run with a
 * stand-in {@code java}. Nothing here starts a container; {@code chaos.ComposeStackTest} runs the
 * stack itself.
 *
 * <p>A missing {@code docker-compose} fails the test (it does not skip it).
 */
class ComposeFileTest {

  private static final Path COMPOSE_FILE = Path.of("deploy", "docker-compose", "docker-compose.yml");
  private static final Path ENTRYPOINT = Path.of("deploy", "docker-compose", "member-entrypoint.sh");
  private static final long DEADLINE_SECONDS = 60;

  private static Path repo;

  @BeforeAll
  static void findRepositoryRoot() {
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null && !Files.isRegularFile(dir.resolve("mvnw"))) {
      dir = dir.getParent();
    }
    assertNotNull(dir, "no directory holding mvnw above " + Path.of("").toAbsolutePath());
    repo = dir;
  }

  @Test
  void composeFileValidatesAndDescribesTheDeployment() throws Exception {
    // an empty env file: the .env that bin/wavelink images writes next to the compose file must not
    // change the defaults checked here
    Path noEnv = Files.createTempFile("compose-test", ".env");
    Result config = run(repo, Map.of(), "docker-compose", "--env-file", noEnv.toString(), "-f", repo.resolve(COMPOSE_FILE).toString(), "config");
    assertEquals(0, config.exitCode, "docker-compose config rejected the file:\n" + config.stderr + config.stdout);

    Map<String, Object> resolved = map(MiniYaml.parse(config.stdout), "resolved config");
    Map<String, Object> services = map(resolved.get("services"), "services");
    for (String name : List.of("cassandra", "cassandra-schema", "seed", "worker")) {
      assertTrue(services.containsKey(name), "service " + name + " missing: " + services.keySet());
    }

    Map<String, Object> cassandra = map(services.get("cassandra"), "cassandra");
    assertEquals("cassandra:5.0", cassandra.get("image"));
    assertNotNull(cassandra.get("healthcheck"), "cassandra has no healthcheck");

    Map<String, Object> seed = map(services.get("seed"), "seed");
    assertTrue(publishedPorts(seed).contains("8080"), "seed does not publish 8080: " + seed.get("ports"));
    assertEquals(
        "service_completed_successfully",
        map(map(seed.get("depends_on"), "seed.depends_on").get("cassandra-schema"), "seed.depends_on.cassandra-schema")
            .get("condition"));

    // API keys on unless the user turns them off; the seed writes the admin key into its own volume
    Map<String, Object> seedEnv = map(seed.get("environment"), "seed.environment");
    assertEquals("on", seedEnv.get("WAVELINK_AUTH"), "keys on by default: " + seedEnv);
    assertEquals("/data", seedEnv.get("WAVELINK_DATA_DIR"), seedEnv.toString());
    assertTrue(String.valueOf(seed.get("volumes")).contains("/data"), "the seed keeps /data in a volume: " + seed.get("volumes"));
    Result off = run(repo, Map.of("WAVELINK_AUTH", "off"), "docker-compose", "--env-file", noEnv.toString(), "-f", repo.resolve(COMPOSE_FILE).toString(), "config");
    assertTrue(off.stdout.contains("WAVELINK_AUTH: \"off\"") || off.stdout.contains("WAVELINK_AUTH: off"),
        "WAVELINK_AUTH passes through from the environment:\n" + off.stdout);

    Map<String, Object> worker = map(services.get("worker"), "worker");
    assertEquals(List.of(), publishedPorts(worker), "worker must not bind a host port (it is scaled)");
    assertFalse(worker.containsKey("container_name"), "worker must not have a fixed container_name");
    assertFalse(worker.containsKey("hostname"), "worker must not have a fixed hostname");
    Map<String, Object> workerEnv = map(worker.get("environment"), "worker.environment");
    assertTrue(
        String.valueOf(workerEnv.get("WAVELINK_SEED_NODES")).contains("@seed:2551"),
        "worker does not join through the seed: " + workerEnv);
    assertNotNull(worker.get("healthcheck"), "worker has no healthcheck");
    assertNotNull(worker.get("stop_grace_period"), "worker has no stop_grace_period");

    // the schema job runs the member image's own schema (io.wavelink.persistence.Schema), after
    // Cassandra is healthy, once
    Map<String, Object> schemaJob = map(services.get("cassandra-schema"), "cassandra-schema");
    assertEquals(seed.get("image"), schemaJob.get("image"), "the schema job runs the member image");
    assertEquals(List.of("schema", "--wait", "180"), schemaJob.get("command"));
    assertEquals("no", schemaJob.get("restart"));
    assertEquals("service_healthy",
        map(map(schemaJob.get("depends_on"), "cassandra-schema.depends_on").get("cassandra"), "depends_on.cassandra").get("condition"));
    // the host port and the Cassandra image pass through from the environment
    Result other = run(repo, Map.of("WAVELINK_HTTP_HOST_PORT", "18080", "CASSANDRA_IMAGE", "wavelink-cassandra:dev"),
        "docker-compose", "--env-file", noEnv.toString(), "-f", repo.resolve(COMPOSE_FILE).toString(), "config");
    Map<String, Object> otherServices = map(map(MiniYaml.parse(other.stdout), "config").get("services"), "services");
    assertEquals(List.of("18080"), publishedPorts(map(otherServices.get("seed"), "seed")));
    assertEquals("wavelink-cassandra:dev", map(otherServices.get("cassandra"), "cassandra").get("image"));
  }

  @Test
  void entrypointAddsDiscoveredPeersAfterTheConfiguredSeedsAndExecsTheMember() throws Exception {
    Path stub = Files.createTempDirectory("wavelink-fake-java");
    Path java = stub.resolve("java");
    Files.writeString(
        java,
        "#!/bin/sh\necho \"ARGS $*\"\necho \"HOST $WAVELINK_CLUSTER_HOST\"\necho \"SEEDS $WAVELINK_SEED_NODES\"\n",
        StandardCharsets.UTF_8);
    assertTrue(java.toFile().setExecutable(true));
    Map<String, String> env = new LinkedHashMap<>();
    env.put("PATH", stub + ":" + System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
    env.put("WAVELINK_HOME", "/opt/wavelink");
    env.put("WAVELINK_CLUSTER_HOST", "10.9.8.7");
    env.put("WAVELINK_CLUSTER_PORT", "2551");
    env.put("WAVELINK_SEED_NODES", "pekko://wavelink@seed:2551");
    // localhost resolves everywhere; the .invalid name never does (RFC 6761) and adds nothing
    env.put("WAVELINK_SEED_DNS_NAMES", "localhost,no-such-member.invalid,localhost");
    env.put("JAVA_OPTS", "-Xmx64m -Dwavelink.test=1");

    Result run = run(repo, env, "sh", repo.resolve(ENTRYPOINT).toString(), "--some-arg");

    assertEquals(0, run.exitCode, run.stderr + run.stdout);
    assertTrue(
        run.stdout.contains(
            "ARGS -Xmx64m -Dwavelink.test=1 -cp /opt/wavelink/wavelink-cluster.jar:/opt/wavelink/lib/*"
                + " io.wavelink.cluster.WaveLinkMember --some-arg"),
        run.stdout);
    assertTrue(run.stdout.contains("HOST 10.9.8.7"), run.stdout);
    // the Jib image names its own classpath
    env.put("WAVELINK_CLASSPATH", "@/app/jib-classpath-file");
    Result jib = run(repo, env, "sh", repo.resolve(ENTRYPOINT).toString());
    assertEquals(0, jib.exitCode, jib.stderr + jib.stdout);
    assertTrue(
        jib.stdout.contains("ARGS -Xmx64m -Dwavelink.test=1 -cp @/app/jib-classpath-file io.wavelink.cluster.WaveLinkMember\n"),
        jib.stdout);
    // configured seeds first (so the seed stays the first seed node), each peer once
    assertTrue(run.stdout.contains("SEEDS pekko://wavelink@seed:2551,pekko://wavelink@127.0.0.1:2551\n"), run.stdout);
  }

  /** The checks above also read Compose v2's output: indented sequences, long port and volume syntax. */
  @Test
  void readsComposeV2Output() {
    String v2 =
        String.join(
            "\n",
            "name: wavelink",
            "services:",
            "  seed:",
            "    command:",
            "      - sh",
            "      - -c",
            "      - 'echo ''a: b'' &&",
            "        exit 0'",
            "    ports:",
            "      - mode: ingress",
            "        target: 8080",
            "        published: \"8080\"",
            "        protocol: tcp",
            "    volumes:",
            "      - type: bind",
            "        source: /repo/schema.cql",
            "        target: /schema/schema.cql",
            "        read_only: true",
            "  worker:",
            "    expose:",
            "      - \"2551\"",
            "    environment: {}",
            "");
    Map<String, Object> services = map(map(MiniYaml.parse(v2), "root").get("services"), "services");
    Map<String, Object> seed = map(services.get("seed"), "seed");
    assertEquals(List.of("8080"), publishedPorts(seed));
    assertEquals(List.of("sh", "-c", "echo 'a: b' && exit 0"), seed.get("command"));
    Object volume = list(seed.get("volumes"), "volumes").get(0);
    assertEquals("/repo/schema.cql", bindSource(volume));
    assertEquals("/schema/schema.cql", bindTarget(volume));
    Map<String, Object> worker = map(services.get("worker"), "worker");
    assertEquals(List.of(), publishedPorts(worker));
    assertEquals(Map.of(), worker.get("environment"));
  }

  // ---------------------------------------------------------------- helpers

  private record Result(int exitCode, String stdout, String stderr) {}

  /** Runs a command in {@code dir} with a deadline; output goes through files, so it cannot block. */
  private static Result run(Path dir, Map<String, String> env, String... command) throws Exception {
    Path out = Files.createTempFile("compose-test", ".out");
    Path err = Files.createTempFile("compose-test", ".err");
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .directory(dir.toFile())
            .redirectOutput(out.toFile())
            .redirectError(err.toFile());
    // the compose file's own defaults, not the test JVM's settings (the suite runs with WAVELINK_AUTH=off)
    builder.environment().keySet().removeIf(k -> k.startsWith("WAVELINK_"));
    builder.environment().putAll(env);
    Process process;
    try {
      process = builder.start();
    } catch (IOException e) {
      fail(
          "cannot run " + command[0] + " (" + e.getMessage() + "). This test validates the compose file"
              + " offline with Debian's docker-compose; .ci/run installs it"
              + " (apt-get install -y --no-install-recommends docker-compose)");
      throw e;
    }
    if (!process.waitFor(DEADLINE_SECONDS, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      fail(String.join(" ", command) + " did not finish within " + DEADLINE_SECONDS + " s");
    }
    return new Result(
        process.exitValue(),
        Files.readString(out, StandardCharsets.UTF_8),
        Files.readString(err, StandardCharsets.UTF_8));
  }

  /** Host ports a service publishes, from the short ("8080:8080") or the long (published:) syntax. */
  private static List<String> publishedPorts(Map<String, Object> service) {
    List<String> published = new ArrayList<>();
    for (Object port : list(service.getOrDefault("ports", List.of()), "ports")) {
      if (port instanceof Map<?, ?> entry) {
        Object p = entry.get("published");
        if (p != null && !String.valueOf(p).isEmpty()) {
          published.add(String.valueOf(p));
        }
      } else {
        // [host_ip:]host_port:container_port[/protocol]; a bare container port publishes nothing fixed
        List<String> parts = Arrays.asList(String.valueOf(port).split("/")[0].split(":"));
        if (parts.size() >= 2 && !parts.get(parts.size() - 2).isEmpty()) {
          published.add(parts.get(parts.size() - 2));
        }
      }
    }
    return published;
  }

  /** The host path of a bind mount, from the short ("src:dst:ro") or the long (source:) syntax. */
  private static String bindSource(Object volume) {
    if (volume instanceof Map<?, ?> entry) {
      Object source = entry.get("source");
      return source == null ? null : String.valueOf(source);
    }
    String spec = String.valueOf(volume);
    return spec.startsWith("/") ? spec.substring(0, spec.indexOf(':') < 0 ? spec.length() : spec.indexOf(':')) : null;
  }

  /** The container path of a bind mount, from the short ("src:dst:ro") or the long (target:) syntax. */
  private static String bindTarget(Object volume) {
    if (volume instanceof Map<?, ?> entry) {
      return String.valueOf(entry.get("target"));
    }
    return String.valueOf(volume).split(":")[1];
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object node, String what) {
    assertTrue(node instanceof Map, what + " is not a mapping: " + node);
    return (Map<String, Object>) node;
  }

  private static List<?> list(Object node, String what) {
    assertTrue(node instanceof List, what + " is not a sequence: " + node);
    return (List<?>) node;
  }

  /**
   * Just enough YAML for what {@code docker-compose config} prints (block style): mappings,
   * sequences (also at their key's indentation), plain and quoted scalars, scalars folded over
   * several lines, and the empty {@code {}} / {@code []}. Scalars stay strings.
   */
  static final class MiniYaml {

    private record Line(int indent, String text) {}

    private final List<Line> lines = new ArrayList<>();
    private int pos;

    static Object parse(String yaml) {
      MiniYaml parser = new MiniYaml();
      for (String raw : yaml.split("\n", -1)) {
        String text = raw.stripTrailing();
        String content = text.stripLeading();
        if (content.isEmpty() || content.startsWith("#") || content.equals("---")) {
          continue;
        }
        parser.lines.add(new Line(text.length() - content.length(), content));
      }
      if (parser.lines.isEmpty()) {
        return null;
      }
      Object root = parser.node(parser.lines.get(0).indent);
      if (parser.pos != parser.lines.size()) {
        throw new IllegalArgumentException("unparsed YAML from line: " + parser.lines.get(parser.pos).text);
      }
      return root;
    }

    private Object node(int indent) {
      Line line = lines.get(pos);
      if (isItem(line.text)) {
        return sequence(indent);
      }
      if (keyEnd(line.text) >= 0) {
        return mapping(indent);
      }
      pos++;
      return scalar(line.text, indent - 1);
    }

    private List<Object> sequence(int indent) {
      List<Object> items = new ArrayList<>();
      while (pos < lines.size() && lines.get(pos).indent == indent && isItem(lines.get(pos).text)) {
        String rest = lines.get(pos).text.equals("-") ? "" : lines.get(pos).text.substring(2).stripLeading();
        if (rest.isEmpty()) {
          pos++;
          items.add(pos < lines.size() && lines.get(pos).indent > indent ? node(lines.get(pos).indent) : null);
        } else if (isItem(rest) || keyEnd(rest) >= 0) {
          // "- key: value" / "- - x": the rest of the line opens a node two columns further in
          lines.set(pos, new Line(indent + 2, rest));
          items.add(node(indent + 2));
        } else {
          pos++;
          items.add(scalar(rest, indent));
        }
      }
      return items;
    }

    private Map<String, Object> mapping(int indent) {
      Map<String, Object> entries = new LinkedHashMap<>();
      while (pos < lines.size() && lines.get(pos).indent == indent && !isItem(lines.get(pos).text)) {
        String text = lines.get(pos).text;
        int end = keyEnd(text);
        if (end < 0) {
          throw new IllegalArgumentException("expected 'key:' at: " + text);
        }
        String key = unquote(text.substring(0, end));
        String rest = text.substring(end + 1).strip();
        pos++;
        Object value;
        if (!rest.isEmpty()) {
          value = scalar(rest, indent);
        } else if (pos < lines.size() && lines.get(pos).indent > indent) {
          value = node(lines.get(pos).indent);
        } else if (pos < lines.size() && lines.get(pos).indent == indent && isItem(lines.get(pos).text)) {
          value = sequence(indent); // PyYAML writes a mapping's sequence at the key's indentation
        } else {
          value = null;
        }
        entries.put(key, value);
      }
      return entries;
    }

    /** A scalar starting with {@code first}; lines indented deeper than {@code owner} continue it. */
    private Object scalar(String first, int owner) {
      StringBuilder text = new StringBuilder(first);
      char quote = first.charAt(0);
      if (quote == '\'' || quote == '"') {
        while (!closed(text.toString(), quote) && pos < lines.size()) {
          text.append(' ').append(lines.get(pos++).text);
        }
      } else {
        while (pos < lines.size() && lines.get(pos).indent > owner) {
          text.append(' ').append(lines.get(pos++).text);
        }
      }
      String value = text.toString();
      if (value.equals("{}")) {
        return new LinkedHashMap<String, Object>();
      }
      if (value.equals("[]")) {
        return new ArrayList<Object>();
      }
      return unquote(value);
    }

    private static boolean isItem(String text) {
      return text.equals("-") || text.startsWith("- ");
    }

    /** Index of the ':' ending a mapping key on this line, or -1 when the line is no "key: ..." entry. */
    private static int keyEnd(String text) {
      int from = 0;
      char first = text.charAt(0);
      if (first == '\'' || first == '"') {
        int close = closingQuote(text, first);
        if (close < 0) {
          return -1;
        }
        from = close + 1;
        return from < text.length() && text.charAt(from) == ':' && colonEndsKey(text, from) ? from : -1;
      }
      for (int i = from; i < text.length(); i++) {
        if (text.charAt(i) == ':' && colonEndsKey(text, i)) {
          return i;
        }
      }
      return -1;
    }

    private static boolean colonEndsKey(String text, int colon) {
      return colon == text.length() - 1 || text.charAt(colon + 1) == ' ';
    }

    private static boolean closed(String text, char quote) {
      return closingQuote(text, quote) == text.length() - 1;
    }

    /** Index of the quote closing the scalar opened at index 0, or -1. */
    private static int closingQuote(String text, char quote) {
      for (int i = 1; i < text.length(); i++) {
        char c = text.charAt(i);
        if (quote == '"' && c == '\\') {
          i++;
        } else if (c == quote) {
          if (quote == '\'' && i + 1 < text.length() && text.charAt(i + 1) == '\'') {
            i++; // '' is an escaped quote
          } else {
            return i;
          }
        }
      }
      return -1;
    }

    private static String unquote(String value) {
      if (value.length() >= 2 && value.startsWith("'") && value.endsWith("'")) {
        return value.substring(1, value.length() - 1).replace("''", "'");
      }
      if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
        return value.substring(1, value.length() - 1).replace("\\\"", "\"").replace("\\\\", "\\");
      }
      return value;
    }
  }
}
