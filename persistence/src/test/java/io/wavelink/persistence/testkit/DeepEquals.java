package io.wavelink.persistence.testkit;

import static org.junit.jupiter.api.Assertions.fail;

import java.lang.reflect.RecordComponent;
import java.util.Arrays;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Structural equality for messages: records component by component, {@code byte[]} by content
 * (records compare arrays by identity), and lists, sets, maps and optionals by their elements.
 * Shared by the serializer tests of every module.
 */
public final class DeepEquals {

  private DeepEquals() {}

  public static void assertDeepEquals(Object expected, Object actual) {
    String difference = difference("", expected, actual);
    if (difference != null) {
      fail(difference + "\nexpected: " + expected + "\nactual:   " + actual);
    }
  }

  /** Where the two differ, or {@code null} if they are equal. */
  private static String difference(String path, Object expected, Object actual) {
    if (expected == null || actual == null) {
      return expected == actual ? null : at(path) + "one is null";
    }
    if (expected.getClass().isRecord() || actual.getClass().isRecord()) {
      if (expected.getClass() != actual.getClass()) {
        return at(path) + "class " + expected.getClass().getName() + " != " + actual.getClass().getName();
      }
      for (RecordComponent c : expected.getClass().getRecordComponents()) {
        try {
          String d =
              difference(
                  path + "." + c.getName(), c.getAccessor().invoke(expected), c.getAccessor().invoke(actual));
          if (d != null) {
            return d;
          }
        } catch (ReflectiveOperationException e) {
          throw new AssertionError("cannot read " + path + "." + c.getName(), e);
        }
      }
      return null;
    }
    if (expected instanceof byte[] e && actual instanceof byte[] a) {
      return Arrays.equals(e, a) ? null : at(path) + "bytes differ";
    }
    if (expected instanceof Optional<?> e && actual instanceof Optional<?> a) {
      return difference(path + ".get", e.orElse(null), a.orElse(null));
    }
    if (expected instanceof List<?> e && actual instanceof List<?> a) {
      if (e.size() != a.size()) {
        return at(path) + "size " + e.size() + " != " + a.size();
      }
      Iterator<?> ai = a.iterator();
      int i = 0;
      for (Object eo : e) {
        String d = difference(path + "[" + i++ + "]", eo, ai.next());
        if (d != null) {
          return d;
        }
      }
      return null;
    }
    if (expected instanceof Set<?> && actual instanceof Set<?>) {
      // sets of plain values: their own equality (order-independent) is the right one
      return expected.equals(actual) ? null : at(path) + "sets differ";
    }
    if (expected instanceof Map<?, ?> e && actual instanceof Map<?, ?> a) {
      if (!e.keySet().equals(a.keySet())) {
        return at(path) + "keys " + e.keySet() + " != " + a.keySet();
      }
      for (Map.Entry<?, ?> entry : e.entrySet()) {
        String d = difference(path + "[" + entry.getKey() + "]", entry.getValue(), a.get(entry.getKey()));
        if (d != null) {
          return d;
        }
      }
      return null;
    }
    if (expected instanceof Collection<?> || actual instanceof Collection<?>) {
      return at(path) + "unsupported collection " + expected.getClass().getName();
    }
    return expected.equals(actual) ? null : at(path) + expected + " != " + actual;
  }

  private static String at(String path) {
    return (path.isEmpty() ? "message" : path.substring(1)) + ": ";
  }
}
