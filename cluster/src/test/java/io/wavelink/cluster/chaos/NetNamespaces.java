package io.wavelink.cluster.chaos;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A private network on this machine for partition tests: a Linux bridge in a network namespace of
 * its own (the "switch"), and one network namespace per host (Cassandra, each member), each joined
 * to the switch by a veth pair with an address of its own in a private /24 that nothing else on the
 * machine uses. The test JVM joins the switch too (a veth in the root namespace, the subnet's .1),
 * to reach the members' HTTP ports and Cassandra. Nothing is routed anywhere else: the namespaces
 * have no default route, nothing is masqueraded, and a blackhole route for the subnet (below the
 * veth's own route) keeps the test JVM's packets for it on the machine even while the veth is
 * gone.
 *
 * <p>Partitions are nftables rules in the switch (bridge family, forward hook): {@link #drop} loses
 * every IPv4 packet from one host to another, silently, as a broken link would, in that direction
 * only; {@link #heal} removes every rule. The hosts themselves are not touched.
 *
 * <p>Needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN, for {@code ip netns}), iproute2's {@code ip} and
 * {@code nft} (Debian's nftables; {@code .ci/run} installs it). {@link #create} fails with a message
 * saying so when one is missing. Names carry the test JVM's pid ({@code wlp<pid>-...}), so that
 * {@link #create} can remove what an earlier, killed run left behind; {@link #close} (also run by a
 * shutdown hook) kills whatever still runs in the namespaces and deletes everything it created.
 */
final class NetNamespaces implements AutoCloseable {

  /** One host: a network namespace with one interface, {@code eth0}, at {@code ip}. */
  record Host(String name, String namespace, String ip) {}

  private static final Pattern OWNED = Pattern.compile("^wlp(\\d+)(-.*|h)$");
  /** Marks our routes in the root namespace ({@code proto 242}), to find stale ones. */
  private static final String ROUTE_PROTO = "242";

  private final String prefix;
  private final String subnet; // e.g. 10.213.57
  private final String switchNs;
  private final String rootLink;
  private final Map<String, Host> hosts = new LinkedHashMap<>();
  private final Thread hook;
  private boolean closed;

  private NetNamespaces(String prefix, String subnet) {
    this.prefix = prefix;
    this.subnet = subnet;
    this.switchNs = prefix + "-sw";
    this.rootLink = prefix + "h";
    this.hook = new Thread(this::close, "netns-cleanup");
  }

  /**
   * Creates the switch and the test JVM's own link to it.
   *
   * @throws IllegalStateException, saying what is missing, without root or without ip or nft
   */
  static NetNamespaces create() throws IOException, InterruptedException {
    requirePrerequisites();
    removeStale();
    long pid = ProcessHandle.current().pid();
    NetNamespaces net = new NetNamespaces("wlp" + pid, freeSubnet(pid));
    Runtime.getRuntime().addShutdownHook(net.hook);
    try {
      net.build();
    } catch (IOException | RuntimeException | InterruptedException e) {
      net.close();
      throw e;
    }
    return net;
  }

  /** Root, ip and nft, or an exception that says how to get them; partition tests never skip. */
  static void requirePrerequisites() throws IOException, InterruptedException {
    String uid = "?";
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("Uid:")) {
        uid = line.split("\\s+")[2]; // effective uid
      }
    }
    List<String> missing = new ArrayList<>();
    if (!uid.equals("0")) {
      missing.add("root (this JVM runs as uid " + uid + "); ip netns, veth pairs and nftables need it");
    }
    if (!runs("ip", "-V")) {
      missing.add("iproute2's ip (apt-get install -y iproute2)");
    }
    if (!runs("nft", "--version")) {
      missing.add("nft (apt-get install -y nftables; .ci/run installs it)");
    }
    if (!missing.isEmpty()) {
      throw new IllegalStateException(
          "The partition test needs " + String.join(", and ", missing)
              + ". It runs members in network namespaces of their own; it fails rather than skip,"
              + " since a skipped partition test proves nothing. CI runs it as root (.ci/run).");
    }
  }

  private static boolean runs(String... command) {
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException | InterruptedException e) {
      return false;
    }
  }

  /** A /24 in 10.213.0.0/16 that no address or route of this machine overlaps (the default route aside). */
  private static String freeSubnet(long pid) throws IOException, InterruptedException {
    String used = run("ip", "-4", "-o", "addr", "show") + run("ip", "-4", "route", "show", "table", "all");
    List<long[]> networks = new ArrayList<>();
    Matcher m = Pattern.compile("(\\d+)\\.(\\d+)\\.(\\d+)\\.(\\d+)(?:/(\\d+))?").matcher(used);
    while (m.find()) {
      long address = 0;
      for (int i = 1; i <= 4; i++) {
        address = address << 8 | Long.parseLong(m.group(i));
      }
      int bits = m.group(5) == null ? 32 : Integer.parseInt(m.group(5));
      if (bits > 0) {
        networks.add(new long[] {address, bits});
      }
    }
    for (int i = 0; i < 200; i++) {
      int third = (int) ((pid + i) % 200) + 20;
      long candidate = (10L << 24) | (213L << 16) | ((long) third << 8);
      boolean free = true;
      for (long[] n : networks) {
        int bits = (int) Math.min(n[1], 24);
        long mask = (0xFFFFFFFFL << (32 - bits)) & 0xFFFFFFFFL;
        if ((n[0] & mask) == (candidate & mask)) {
          free = false; // one contains the other
        }
      }
      if (free) {
        return "10.213." + third;
      }
    }
    throw new IllegalStateException("no free /24 in 10.213.0.0/16 on this machine:\n" + used);
  }

  /** Deletes namespaces, links and routes left by runs whose JVM is gone. */
  private static void removeStale() throws IOException, InterruptedException {
    boolean anotherRunAlive = false;
    for (String ns : namespaces()) {
      Matcher m = OWNED.matcher(ns);
      if (m.matches()) {
        long owner = Long.parseLong(m.group(1));
        if (ProcessHandle.of(owner).isPresent() && owner != ProcessHandle.current().pid()) {
          anotherRunAlive = true;
          continue;
        }
        killAllIn(ns);
        runQuietly("ip", "netns", "del", ns);
      }
    }
    for (String line : run("ip", "-o", "link", "show").split("\n")) {
      String[] parts = line.split(":\\s+");
      if (parts.length > 1) {
        String link = parts[1].split("@")[0];
        Matcher m = OWNED.matcher(link);
        if (m.matches() && ProcessHandle.of(Long.parseLong(m.group(1))).isEmpty()) {
          runQuietly("ip", "link", "del", link);
        }
      }
    }
    if (!anotherRunAlive) {
      for (String route : run("ip", "-4", "route", "show", "proto", ROUTE_PROTO).split("\n")) {
        if (!route.isBlank()) {
          List<String> del = new ArrayList<>(List.of("ip", "route", "del"));
          del.addAll(List.of(route.trim().split("\\s+")));
          runQuietly(del.toArray(String[]::new));
        }
      }
    }
  }

  private static List<String> namespaces() throws IOException, InterruptedException {
    List<String> names = new ArrayList<>();
    for (String line : run("ip", "netns", "list").split("\n")) {
      if (!line.isBlank()) {
        names.add(line.trim().split("\\s+")[0]);
      }
    }
    return names;
  }

  private void build() throws IOException, InterruptedException {
    // first the safety net: the subnet never leaves the machine, even without the veth
    run("ip", "route", "add", "blackhole", subnet + ".0/24", "metric", "4242", "proto", ROUTE_PROTO);
    run("ip", "netns", "add", switchNs);
    run("ip", "-n", switchNs, "link", "set", "lo", "up");
    run("ip", "-n", switchNs, "link", "add", "br0", "type", "bridge");
    run("ip", "-n", switchNs, "link", "set", "br0", "up");
    run("ip", "link", "add", rootLink, "type", "veth", "peer", "name", "vroot", "netns", switchNs);
    run("ip", "-n", switchNs, "link", "set", "vroot", "master", "br0");
    run("ip", "-n", switchNs, "link", "set", "vroot", "up");
    run("ip", "addr", "add", harnessIp() + "/24", "dev", rootLink);
    run("ip", "link", "set", rootLink, "up");
    nft("add table bridge wavelink\n"
        + "add chain bridge wavelink partition { type filter hook forward priority 0; policy accept; }\n");
  }

  /** The test JVM's own address on the switch. */
  String harnessIp() {
    return subnet + ".1";
  }

  /** A new host on the switch: its namespace, a veth pair, and the next free address. */
  synchronized Host host(String name) throws IOException, InterruptedException {
    if (hosts.containsKey(name)) {
      return hosts.get(name);
    }
    int index = hosts.size();
    Host h = new Host(name, prefix + "-" + name, subnet + "." + (10 + index));
    String port = "v" + index;
    run("ip", "netns", "add", h.namespace());
    hosts.put(name, h); // from here on, close() deletes it
    run("ip", "-n", h.namespace(), "link", "set", "lo", "up");
    run("ip", "-n", switchNs, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", h.namespace());
    run("ip", "-n", switchNs, "link", "set", port, "master", "br0");
    run("ip", "-n", switchNs, "link", "set", port, "up");
    run("ip", "-n", h.namespace(), "addr", "add", h.ip() + "/24", "dev", "eth0");
    run("ip", "-n", h.namespace(), "link", "set", "eth0", "up");
    return h;
  }

  /** {@code command} as run inside the host's namespace ({@code ip netns exec} execs it: same pid). */
  List<String> inside(Host h, List<String> command) {
    List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", h.namespace()));
    full.addAll(command);
    return full;
  }

  /** Every packet from {@code from} to {@code to} is lost from now on, in that direction only. */
  void drop(Host from, Host to) throws IOException, InterruptedException {
    nft("add rule bridge wavelink partition ip saddr " + from.ip() + " ip daddr " + to.ip() + " drop\n");
  }

  /** Both directions between {@code a} and {@code b}. */
  void cut(Host a, Host b) throws IOException, InterruptedException {
    // one nft run for both rules: the two directions go within a millisecond of each other
    nft("add rule bridge wavelink partition ip saddr " + a.ip() + " ip daddr " + b.ip() + " drop\n"
        + "add rule bridge wavelink partition ip saddr " + b.ip() + " ip daddr " + a.ip() + " drop\n");
  }

  /** Removes every rule: the network is whole again. */
  void heal() throws IOException, InterruptedException {
    nft("flush chain bridge wavelink partition\n");
  }

  /** The rules in force, for the test's log. */
  String rules() throws IOException, InterruptedException {
    return run("ip", "netns", "exec", switchNs, "nft", "list", "chain", "bridge", "wavelink", "partition");
  }

  private void nft(String script) throws IOException, InterruptedException {
    Process p =
        new ProcessBuilder("ip", "netns", "exec", switchNs, "nft", "-f", "-").redirectErrorStream(true).start();
    p.getOutputStream().write(script.getBytes(StandardCharsets.UTF_8));
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException("nft failed in " + switchNs + " on:\n" + script + out);
    }
  }

  /** Kills (SIGKILL) every process still running in one of our namespaces. */
  private static void killAllIn(String namespace) throws IOException, InterruptedException {
    Process p = new ProcessBuilder("ip", "netns", "pids", namespace).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor(10, TimeUnit.SECONDS);
    for (String line : out.split("\n")) {
      if (line.trim().matches("\\d+")) {
        Optional<ProcessHandle> h = ProcessHandle.of(Long.parseLong(line.trim()));
        h.ifPresent(ProcessHandle::destroyForcibly);
        h.ifPresent(ph -> ph.onExit().orTimeout(10, TimeUnit.SECONDS).exceptionally(e -> null).join());
      }
    }
  }

  /**
   * Kills what still runs in the namespaces, deletes them (with their veths and the bridge), the
   * test JVM's link and the blackhole route. Idempotent; errors are printed, not thrown.
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    List<String> namespaces = new ArrayList<>();
    hosts.values().forEach(h -> namespaces.add(h.namespace()));
    namespaces.add(switchNs);
    for (String ns : namespaces) {
      try {
        killAllIn(ns);
        runQuietly("ip", "netns", "del", ns);
      } catch (IOException | InterruptedException e) {
        System.err.println("netns cleanup of " + ns + ": " + e);
      }
    }
    try {
      runQuietly("ip", "link", "del", rootLink); // normally gone with the switch already
      runQuietly("ip", "route", "del", "blackhole", subnet + ".0/24", "metric", "4242", "proto", ROUTE_PROTO);
    } catch (IOException | InterruptedException e) {
      System.err.println("netns cleanup: " + e);
    }
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException e) {
      // already shutting down: this is the hook
    }
  }

  /** What is left of ours on the machine, for the test to check that cleanup was complete. */
  static String leftovers(String prefix) throws IOException, InterruptedException {
    StringBuilder left = new StringBuilder();
    for (String ns : namespaces()) {
      if (ns.startsWith(prefix)) {
        left.append("namespace ").append(ns).append('\n');
      }
    }
    for (String line : run("ip", "-o", "link", "show").split("\n")) {
      if (line.contains(prefix)) {
        left.append("link ").append(line).append('\n');
      }
    }
    return left.toString();
  }

  String prefix() {
    return prefix;
  }

  private static String run(String... command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException(String.join(" ", command) + " failed: " + out);
    }
    return out;
  }

  private static void runQuietly(String... command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    p.getInputStream().readAllBytes();
    p.waitFor(30, TimeUnit.SECONDS);
  }
}
