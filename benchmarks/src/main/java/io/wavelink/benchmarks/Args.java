package io.wavelink.benchmarks;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** {@code --name value} command-line options of the benchmark mains, with defaults. */
final class Args {

  private final Map<String, String> values = new HashMap<>();

  Args(String[] args, List<String> known) {
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (!a.startsWith("--") || !known.contains(a.substring(2)) || i + 1 >= args.length) {
        throw new IllegalArgumentException(
            "unknown or incomplete option '" + a + "' (known, each with a value: --"
                + String.join(", --", known) + ")");
      }
      values.put(a.substring(2), args[++i]);
    }
  }

  boolean has(String name) {
    return values.containsKey(name);
  }

  String string(String name, String fallback) {
    return values.getOrDefault(name, fallback);
  }

  int integer(String name, int fallback) {
    return values.containsKey(name) ? Integer.parseInt(values.get(name)) : fallback;
  }

  long longValue(String name, long fallback) {
    return values.containsKey(name) ? Long.parseLong(values.get(name)) : fallback;
  }

  double decimal(String name, double fallback) {
    return values.containsKey(name) ? Double.parseDouble(values.get(name)) : fallback;
  }
}
