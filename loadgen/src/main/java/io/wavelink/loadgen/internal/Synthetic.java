package io.wavelink.loadgen.internal;

import io.wavelink.loadgen.LoadgenException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

/**
 * Synthetic workloads, with Poisson arrivals drawn from the run's seed.
 *
 * <p>{@code synthetic:azure?functions=50&minutes=5&rate=20} - an Azure-like population: function
 * {@code i} (0-based) gets a share of the total {@code rate} (invocations per second) proportional
 * to {@code (i+1)^-skew} (Zipf; skew 1.5 by default), so most functions are invoked rarely and a few
 * very often. With 50 functions at 20/s, function 0 gets about 8.6/s and function 49 about 0.024/s
 * (1.5 invocations a minute). Each function's median runtime is log-normal around {@code duration}
 * ms (sigma 1, so medians spread over two orders of magnitude), each invocation's runtime log-normal
 * around its function's median (sigma 0.5), capped at {@code maxDuration}; memory is log-normal
 * around {@code memory} MiB per function (sigma 0.5), +-10% per invocation.
 *
 * <p>{@code synthetic:burst?shape=spike&base=5&peak=200&period=60&minutes=3} - a steady {@code base}
 * rate (invocations per second over all functions) with a burst in the second half of every {@code
 * period} seconds: {@code spike} is {@code peak} for {@code width} seconds (default period/30, at
 * least 1), {@code square} is {@code peak} for the whole second half (or {@code width}), {@code ramp}
 * rises linearly from base to peak over each period (a saw-tooth). Arrivals are a non-homogeneous
 * Poisson process (thinning). Runtimes log-normal around {@code duration} ms ({@code sigma} 0.25 by
 * default; 0 gives every invocation exactly {@code duration}).
 */
public final class Synthetic {

  public static final String PREFIX = "synthetic:";

  /** A parsed spec: its kind and its parameters, defaults filled in. */
  public record Spec(String kind, Map<String, Double> params, String shape) {

    public double get(String name) {
      return params.get(name);
    }

    public double minutes() {
      return get("minutes");
    }

    public int functions() {
      return (int) get("functions");
    }
  }

  private static final Map<String, Double> AZURE_DEFAULTS = defaults(
      "functions", 50, "minutes", 5, "rate", 20, "skew", 1.5, "duration", 100, "maxDuration", 10_000, "memory", 32);
  private static final Map<String, Double> BURST_DEFAULTS = defaults(
      "functions", 1, "minutes", 3, "base", 5, "peak", 200, "period", 60, "width", -1, "duration", 100, "sigma", 0.25,
      "memory", 16);
  private static final Set<String> SHAPES = Set.of("spike", "square", "ramp");

  private Synthetic() {}

  public static boolean matches(String trace) {
    return trace.startsWith(PREFIX);
  }

  /**
   * Parses {@code synthetic:<kind>?name=value&...}.
   *
   * @throws LoadgenException naming the bad part and what is allowed
   */
  public static Spec parse(String text) {
    String rest = text.substring(PREFIX.length());
    int q = rest.indexOf('?');
    String kind = (q < 0 ? rest : rest.substring(0, q)).toLowerCase(Locale.ROOT);
    Map<String, Double> defaults = switch (kind) {
      case "azure" -> AZURE_DEFAULTS;
      case "burst" -> BURST_DEFAULTS;
      default -> throw new LoadgenException(
          "unknown synthetic workload '" + kind + "' in '" + text + "' (known: synthetic:azure?..., synthetic:burst?...)");
    };
    Map<String, Double> params = new LinkedHashMap<>(defaults);
    String shape = "spike";
    if (q >= 0 && q + 1 < rest.length()) {
      for (String pair : rest.substring(q + 1).split("&")) {
        if (pair.isEmpty()) {
          continue;
        }
        int eq = pair.indexOf('=');
        if (eq <= 0) {
          throw new LoadgenException("synthetic spec '" + text + "': '" + pair + "' is not name=value");
        }
        String name = URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8);
        String value = URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
        if (kind.equals("burst") && name.equals("shape")) {
          shape = value.toLowerCase(Locale.ROOT);
          if (!SHAPES.contains(shape)) {
            throw new LoadgenException("synthetic spec '" + text + "': shape must be spike, square or ramp (got '" + value + "')");
          }
          continue;
        }
        if (!defaults.containsKey(name)) {
          Set<String> known = new TreeSet<>(defaults.keySet());
          if (kind.equals("burst")) {
            known.add("shape");
          }
          throw new LoadgenException("synthetic spec '" + text + "': unknown parameter '" + name + "' (known: " + known + ")");
        }
        double v;
        try {
          v = Double.parseDouble(value);
        } catch (NumberFormatException e) {
          throw new LoadgenException("synthetic spec '" + text + "': " + name + " must be a number (got '" + value + "')");
        }
        boolean mayBeZero = Set.of("base", "peak", "skew", "sigma").contains(name);
        if (!Double.isFinite(v) || v < 0 || (v == 0 && !mayBeZero)) {
          throw new LoadgenException("synthetic spec '" + text + "': " + name + " must be " + (mayBeZero ? "at least 0" : "greater than 0")
              + " (got '" + value + "')");
        }
        if (name.equals("functions") && (v != Math.rint(v) || v > 100_000)) {
          throw new LoadgenException("synthetic spec '" + text + "': functions must be a whole number up to 100000 (got '" + value + "')");
        }
        params.put(name, v);
      }
    }
    if (kind.equals("burst") && params.get("base") == 0 && params.get("peak") == 0) {
      throw new LoadgenException("synthetic spec '" + text + "': base and peak cannot both be 0");
    }
    if (kind.equals("azure") && params.get("rate") <= 0) {
      throw new LoadgenException("synthetic spec '" + text + "': rate must be greater than 0");
    }
    return new Spec(kind, Map.copyOf(params), shape);
  }

  /** The invocations of the spec's first {@code maxFunctions} functions in its first {@code minutes}. */
  public static List<FunctionArrivals> generate(Spec spec, int maxFunctions, double minutes, long seed) {
    double spanMs = Math.min(spec.minutes(), minutes) * 60_000;
    return spec.kind().equals("azure")
        ? azure(spec, maxFunctions, spanMs, seed)
        : burst(spec, maxFunctions, spanMs, seed);
  }

  private static List<FunctionArrivals> azure(Spec spec, int maxFunctions, double spanMs, long seed) {
    int population = spec.functions();
    double skew = spec.get("skew");
    double maxDuration = Math.max(1, spec.get("maxDuration"));
    double norm = 0;
    for (int i = 0; i < population; i++) {
      norm += Math.pow(i + 1, -skew);
    }
    // every function's profile is drawn, in order, whatever the limit: the first N stay the same
    Random profiles = Seeds.population(seed);
    List<FunctionArrivals> out = new ArrayList<>();
    for (int i = 0; i < population; i++) {
      double medianRuntime = clamp(spec.get("duration") * Math.exp(profiles.nextGaussian()), 1, maxDuration);
      double medianMemory = clamp(spec.get("memory") * Math.exp(0.5 * profiles.nextGaussian()), 1, 4000);
      if (i >= maxFunctions) {
        continue;
      }
      double ratePerMs = spec.get("rate") * Math.pow(i + 1, -skew) / norm / 1000;
      Sampler runtime = Sampler.logNormal(medianRuntime, 0.5, maxDuration);
      Sampler memory = Sampler.uniform(0.9 * medianMemory, 1.1 * medianMemory);
      double[] at = poisson(t -> ratePerMs, ratePerMs, spanMs, Seeds.arrivals(seed, i));
      out.add(sampled(String.format(Locale.ROOT, "azure-%05d", i), at, runtime, memory, Seeds.samples(seed, i)));
    }
    return out;
  }

  private static List<FunctionArrivals> burst(Spec spec, int maxFunctions, double spanMs, long seed) {
    int functions = spec.functions();
    BurstShape shape = BurstShape.of(spec);
    double maxPerMs = shape.maxRate() / functions / 1000;
    Sampler runtime = Sampler.logNormal(spec.get("duration"), spec.get("sigma"), spec.get("duration") * 4);
    Sampler memory = Sampler.uniform(0.9 * spec.get("memory"), 1.1 * spec.get("memory"));
    List<FunctionArrivals> out = new ArrayList<>();
    for (int i = 0; i < Math.min(functions, maxFunctions); i++) {
      double[] at = poisson(t -> shape.rateAt(t / 1000) / functions / 1000, maxPerMs, spanMs, Seeds.arrivals(seed, i));
      out.add(sampled(String.format(Locale.ROOT, "burst-%s-%05d", shape.shape(), i), at, runtime, memory, Seeds.samples(seed, i)));
    }
    return out;
  }

  /**
   * The rate of a burst workload over time, in invocations per second (all functions together).
   *
   * @param width seconds the spike or square burst lasts
   */
  public record BurstShape(String shape, double base, double peak, double period, double width) {

    static BurstShape of(Spec spec) {
      double period = spec.get("period");
      double width = spec.get("width");
      if (width <= 0) {
        width = spec.shape().equals("spike") ? Math.max(1, period / 30) : period / 2;
      }
      return new BurstShape(spec.shape(), spec.get("base"), spec.get("peak"), period, Math.min(width, period / 2));
    }

    public double rateAt(double seconds) {
      double phase = seconds % period;
      if (shape.equals("ramp")) {
        return base + (peak - base) * phase / period;
      }
      double start = period / 2;
      return phase >= start && phase < start + width ? peak : base;
    }

    public double maxRate() {
      return Math.max(base, peak);
    }
  }

  interface Rate {
    double perMs(double atMs);
  }

  /**
   * A Poisson process on [0, spanMs) with the given rate (per ms), by thinning: candidates at
   * {@code maxPerMs}, each kept with probability rate/max.
   */
  static double[] poisson(Rate rate, double maxPerMs, double spanMs, Random random) {
    List<Double> at = new ArrayList<>();
    if (maxPerMs <= 0) {
      return new double[0];
    }
    double t = 0;
    while (true) {
      t += -Math.log(1 - random.nextDouble()) / maxPerMs;
      if (t >= spanMs) {
        break;
      }
      double keep = rate.perMs(t) / maxPerMs;
      if (keep >= 1 || random.nextDouble() < keep) {
        at.add(t);
      }
    }
    return at.stream().mapToDouble(Double::doubleValue).toArray();
  }

  private static FunctionArrivals sampled(String id, double[] at, Sampler runtime, Sampler memory, Random random) {
    double[] rt = new double[at.length];
    double[] mb = new double[at.length];
    for (int i = 0; i < at.length; i++) {
      rt[i] = runtime.sample(random);
      mb[i] = memory.sample(random);
    }
    return new FunctionArrivals(id, at, rt, mb, memory.max());
  }

  private static double clamp(double v, double low, double high) {
    return Math.max(low, Math.min(high, v));
  }

  private static Map<String, Double> defaults(Object... pairs) {
    Map<String, Double> m = new LinkedHashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      m.put((String) pairs[i], ((Number) pairs[i + 1]).doubleValue());
    }
    return m;
  }
}
