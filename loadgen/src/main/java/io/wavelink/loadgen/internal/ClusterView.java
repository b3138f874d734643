package io.wavelink.loadgen.internal;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Reads the answer of {@code GET /v1/functions} ({@code {"functions": [...]}}, each with {@code
 * instancesByKind} and {@code stats}) for the workload's functions only: instance counts over time,
 * and the cost and counters at the end. Missing fields count as zero; {@link Totals#costAvailable()}
 * says whether the cluster reported cost at all.
 */
public final class ClusterView {

  private ClusterView() {}

  /**
   * Cost and counters summed over the workload's functions.
   *
   * @param functionsSeen how many of the workload's functions the cluster listed
   * @param costAvailable whether it reported {@code stats.instanceSeconds}
   * @param peakRegularMax the largest per-function peak of regular instances
   * @param peakRegularSum per-function peaks summed (an upper bound of the cluster-wide peak)
   * @param regularTouchedMbSeconds MB-seconds weighted by the memory instances' calls touched,
   *     beside {@code regularMbSeconds}, weighted by what they reserved
   * @param regularEvictions idle instances given back to make room for other functions
   */
  public record Totals(
      int functionsSeen,
      boolean costAvailable,
      double regularInstanceSeconds,
      double emergencyInstanceSeconds,
      double regularMbSeconds,
      double emergencyMbSeconds,
      int peakRegularMax,
      int peakEmergencyMax,
      int peakRegularSum,
      int peakEmergencySum,
      long regularColdStarts,
      long emergencyColdStarts,
      long regularInvocations,
      long emergencyInvocations,
      long emergencySpawns,
      long rejected,
      double regularTouchedMbSeconds,
      double emergencyTouchedMbSeconds,
      long regularEvictions,
      long emergencyEvictions) {

    public static final Totals NONE = new Totals(0, false, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
  }

  public static InstanceSample sample(double tMs, JsonNode listing, Set<String> names) {
    int regular = 0;
    int emergency = 0;
    int inFlight = 0;
    int queued = 0;
    for (JsonNode f : functions(listing, names)) {
      JsonNode byKind = f.path("instancesByKind");
      regular += sum(byKind.path("regular"));
      emergency += sum(byKind.path("emergency"));
      inFlight += f.path("inFlight").asInt(0);
      queued += f.path("queued").asInt(0);
    }
    return new InstanceSample(tMs, regular, emergency, inFlight, queued);
  }

  public static Totals totals(JsonNode listing, Set<String> names) {
    int seen = 0;
    boolean cost = false;
    double[] is = new double[2];
    double[] mbs = new double[2];
    int[] peakMax = new int[2];
    int[] peakSum = new int[2];
    long[] cold = new long[2];
    long[] inv = new long[2];
    long spawns = 0;
    long rejected = 0;
    double[] touched = new double[2];
    long[] evicted = new long[2];
    for (JsonNode f : functions(listing, names)) {
      seen++;
      JsonNode stats = f.path("stats");
      if (stats.has("instanceSeconds")) {
        cost = true;
      }
      String[] kinds = {"regular", "emergency"};
      for (int k = 0; k < 2; k++) {
        is[k] += stats.path("instanceSeconds").path(kinds[k]).asDouble(0);
        mbs[k] += stats.path("mbSeconds").path(kinds[k]).asDouble(0);
        int peak = stats.path("peakInstances").path(kinds[k]).asInt(0);
        peakMax[k] = Math.max(peakMax[k], peak);
        peakSum[k] += peak;
        cold[k] += stats.path("coldStarts").path(kinds[k]).asLong(0);
        inv[k] += stats.path("invocations").path(kinds[k]).asLong(0);
        touched[k] += stats.path("touchedMbSeconds").path(kinds[k]).asDouble(0);
        evicted[k] += stats.path("evictions").path(kinds[k]).asLong(0);
      }
      spawns += stats.path("emergencySpawns").asLong(0);
      rejected += stats.path("rejected").asLong(0);
    }
    return new Totals(seen, cost, is[0], is[1], mbs[0], mbs[1], peakMax[0], peakMax[1], peakSum[0], peakSum[1],
        cold[0], cold[1], inv[0], inv[1], spawns, rejected, touched[0], touched[1], evicted[0], evicted[1]);
  }

  private static List<JsonNode> functions(JsonNode listing, Set<String> names) {
    List<JsonNode> out = new ArrayList<>();
    for (JsonNode f : listing.path("functions")) {
      if (names.contains(f.path("name").asText())) {
        out.add(f);
      }
    }
    return out;
  }

  private static int sum(JsonNode counts) {
    int n = 0;
    for (JsonNode c : counts) {
      n += c.asInt(0);
    }
    return n;
  }
}
