package io.wavelink.gateway.internal;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * One page of {@code GET /v1/functions}: which names it covers, and its body once each function
 * answered or not. Pure; the gateway asks the functions.
 *
 * <p>Names are listed in their natural order; a page holds at most {@code limit} names after the
 * name {@code after} (exclusive; it need not exist any more), and names the last one as {@code
 * next} when more follow. A function that did not answer is listed under {@code unavailable}, so
 * that one slow function never fails the listing of the others.
 */
public final class FunctionListing {

  /** The names of one page, and the cursor of the next page ({@code null}: this is the last). */
  public record Page(List<String> names, String next) {}

  private FunctionListing() {}

  public static Page page(Collection<String> allNames, String after, int limit) {
    List<String> sorted = new ArrayList<>(allNames);
    Collections.sort(sorted);
    int from = 0;
    if (after != null) {
      int at = Collections.binarySearch(sorted, after);
      from = at >= 0 ? at + 1 : -at - 1;
    }
    int to = Math.min(sorted.size(), from + limit);
    List<String> names = List.copyOf(sorted.subList(from, to));
    return new Page(names, to < sorted.size() && to > from ? sorted.get(to - 1) : null);
  }

  /**
   * The body of a page: {@code answers.get(i)} is the answer of {@code page.names().get(i)}, {@code
   * null} if it did not answer; {@code describe} turns an answer into its JSON object, or {@code
   * null} when the function turned out not to exist (deleted meanwhile): it is left out.
   */
  public static <S> Map<String, Object> body(
      Page page, List<S> answers, Function<S, Map<String, Object>> describe) {
    if (answers.size() != page.names().size()) {
      throw new IllegalArgumentException(answers.size() + " answers for " + page.names().size() + " names");
    }
    List<Map<String, Object>> functions = new ArrayList<>();
    List<String> unavailable = new ArrayList<>();
    for (int i = 0; i < answers.size(); i++) {
      S answer = answers.get(i);
      if (answer == null) {
        unavailable.add(page.names().get(i));
      } else {
        Map<String, Object> described = describe.apply(answer);
        if (described != null) {
          functions.add(described);
        }
      }
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("functions", functions);
    body.put("unavailable", unavailable);
    if (page.next() != null) {
      body.put("next", page.next());
    }
    return body;
  }
}
