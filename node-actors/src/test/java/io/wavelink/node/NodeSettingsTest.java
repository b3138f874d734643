package io.wavelink.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import io.wavelink.node.NodeSettings.Capacity;
import io.wavelink.node.NodeSettings.Machine;
import org.junit.jupiter.api.Test;

/** The node's capacity, a pure function of its settings and its machine. */
class NodeSettingsTest {

  private static final long MIB = 1L << 20;
  private static final long GIB = 1L << 30;
  private static final long AUTO = -1;

  /** A 24 GiB machine, -Xmx1536m, the JVM's direct memory limit lifted (-XX:MaxDirectMemorySize=1t). */
  private static final Machine BIG = new Machine(24 * GIB, 1536 * MIB, 1L << 40);

  @Test
  void aConfiguredCapacityWins() {
    Capacity c = NodeSettings.capacity(2048, AUTO, BIG);
    assertEquals(2048, c.mb());
    assertTrue(c.reason().contains("wavelink.node.capacity-mb"), c.reason());
    assertEquals(100, NodeSettings.capacity(100, 0, new Machine(GIB, GIB, GIB)).mb());
  }

  @Test
  void byDefaultTheMachinesMemoryLessTheHeapAndOneGibibyte() {
    Capacity c = NodeSettings.capacity(0, AUTO, BIG);
    assertEquals(24 * 1024 - 1536 - 1024, c.mb());
    assertTrue(c.reason().contains("24576 MiB, less a reserve of 2560 MiB"), c.reason());
    assertTrue(c.reason().contains("maximum heap, 1536 MiB"), c.reason());
  }

  @Test
  void aConfiguredReserveReplacesTheAutomaticOne() {
    assertEquals(24 * 1024 - 6 * 1024, NodeSettings.capacity(0, 6 * GIB, BIG).mb());
    assertEquals(24 * 1024, NodeSettings.capacity(0, 0, BIG).mb());
    assertTrue(
        NodeSettings.capacity(0, 6 * GIB, BIG).reason().contains("wavelink.node.memory-reserve"));
  }

  @Test
  void onASmallMachineTheReserveBeyondTheHeapIsAQuarterOfIt() {
    // a 2 GiB container with a 512 MiB heap: 2048 - 512 - 512
    Machine container = new Machine(2 * GIB, 512 * MIB, 1L << 40);
    assertEquals(1024, NodeSettings.capacity(0, AUTO, container).mb());
  }

  @Test
  void theJvmsDirectMemoryLimitBoundsTheDefault() {
    // without -XX:MaxDirectMemorySize the limit is the heap: 1536 - 64 MiB for the member's buffers
    Machine unflagged = new Machine(24 * GIB, 1536 * MIB, 1536 * MIB);
    Capacity c = NodeSettings.capacity(0, AUTO, unflagged);
    assertEquals(1536 - 64, c.mb());
    assertTrue(c.reason().contains("-XX:MaxDirectMemorySize"), c.reason());
    assertTrue(c.reason().contains("would allow 22016 MB"), c.reason());
    // a configured capacity is not bounded (the member warns instead)
    assertEquals(4096, NodeSettings.capacity(4096, AUTO, unflagged).mb());
  }

  @Test
  void neverLessThanTheMinimum() {
    Machine tiny = new Machine(1 * GIB, 900 * MIB, 1L << 40);
    Capacity c = NodeSettings.capacity(0, AUTO, tiny);
    assertEquals(NodeSettings.MINIMUM_CAPACITY_MB, c.mb());
    assertTrue(c.reason().startsWith("the minimum of 64 MB"), c.reason());
    assertEquals(64, NodeSettings.capacity(0, AUTO, new Machine(0, GIB, 1L << 40)).mb());
  }

  @Test
  void createReadsCapacityAndReserveOnce() {
    Config config =
        ConfigFactory.parseString(
                "wavelink.node { capacity-mb = 0, memory-reserve = 512MiB, id = n1 }")
            .withFallback(ConfigFactory.defaultReference());
    NodeSettings settings = NodeSettings.create(config, "fallback");
    assertEquals("n1", settings.nodeId());
    Machine here = Machine.current();
    assertEquals(NodeSettings.capacity(0, 512 * MIB, here).mb(), settings.capacityMb());

    Config configured =
        ConfigFactory.parseString("wavelink.node.capacity-mb = 3000")
            .withFallback(ConfigFactory.defaultReference());
    assertEquals(3000, NodeSettings.create(configured, "n").capacityMb());
    assertEquals("n", NodeSettings.create(configured, "n").nodeId());

    Config auto = ConfigFactory.defaultReference();
    assertEquals(-1, NodeSettings.memoryReserve(auto.getConfig("wavelink.node")));
    Config bad =
        ConfigFactory.parseString("wavelink.node.memory-reserve = lots")
            .withFallback(ConfigFactory.defaultReference());
    assertThrows(ConfigException.class, () -> NodeSettings.create(bad, "n"));
  }
}
