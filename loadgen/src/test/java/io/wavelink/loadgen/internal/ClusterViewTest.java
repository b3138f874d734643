package io.wavelink.loadgen.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Reading GET /v1/functions: only the workload's functions, missing fields as zero. */
class ClusterViewTest {

  static final String LISTING = """
      {"functions": [
        {"name": "lg-dual-a", "instancesByKind": {"regular": {"ready": 2, "starting": 1}, "emergency": {"ready": 1}},
         "inFlight": 3, "queued": 4,
         "stats": {"invocations": {"regular": 10, "emergency": 2}, "coldStarts": {"regular": 1, "emergency": 2},
                   "emergencySpawns": 2, "rejected": 0,
                   "instanceSeconds": {"regular": 12.5, "emergency": 0.5}, "mbSeconds": {"regular": 800.0, "emergency": 32.0},
                   "peakInstances": {"regular": 3, "emergency": 1}}},
        {"name": "lg-dual-b", "instancesByKind": {"regular": {"draining": 1}, "emergency": {}},
         "inFlight": 0, "queued": 0,
         "stats": {"invocations": {"regular": 1, "emergency": 0}, "coldStarts": {"regular": 1, "emergency": 0},
                   "emergencySpawns": 0, "rejected": 3,
                   "instanceSeconds": {"regular": 2.0, "emergency": 0.0}, "mbSeconds": {"regular": 64.0, "emergency": 0.0},
                   "peakInstances": {"regular": 1, "emergency": 0}}},
        {"name": "someone-else", "instancesByKind": {"regular": {"ready": 50}, "emergency": {}},
         "stats": {"instanceSeconds": {"regular": 999.0, "emergency": 0.0}}}
      ]}
      """;

  @Test
  void samplesAndTotalsOfTheWorkloadsFunctions() throws Exception {
    JsonNode listing = new ObjectMapper().readTree(LISTING);
    Set<String> names = Set.of("lg-dual-a", "lg-dual-b");
    assertEquals(new InstanceSample(1500, 4, 1, 3, 4), ClusterView.sample(1500, listing, names));
    ClusterView.Totals t = ClusterView.totals(listing, names);
    assertEquals(2, t.functionsSeen());
    assertTrue(t.costAvailable());
    assertEquals(14.5, t.regularInstanceSeconds(), 1e-9);
    assertEquals(0.5, t.emergencyInstanceSeconds(), 1e-9);
    assertEquals(864, t.regularMbSeconds(), 1e-9);
    assertEquals(3, t.peakRegularMax());
    assertEquals(4, t.peakRegularSum());
    assertEquals(2, t.regularColdStarts());
    assertEquals(2, t.emergencyColdStarts());
    assertEquals(11, t.regularInvocations());
    assertEquals(3, t.rejected());
  }

  @Test
  void aClusterWithoutCostFields() throws Exception {
    JsonNode listing = new ObjectMapper().readTree("{\"functions\": [{\"name\": \"x\", \"stats\": {\"invocations\": {\"regular\": 1}}}]}");
    ClusterView.Totals t = ClusterView.totals(listing, Set.of("x"));
    assertEquals(1, t.functionsSeen());
    assertFalse(t.costAvailable());
    assertEquals(new InstanceSample(0, 0, 0, 0, 0), ClusterView.sample(0, listing, Set.of("x")));
  }
}
