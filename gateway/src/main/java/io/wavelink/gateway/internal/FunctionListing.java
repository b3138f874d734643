package io.wavelink.gateway.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The body of one page of {@code GET /v1/functions}, once each of its functions answered or not.
 * Pure; the gateway asks the catalog and the functions.
 *
 * <p>The catalog gives a page's names in order ({@code FunctionCatalog.ListNames}); the body names
 * the last one as {@code next} when more follow. A function that did not answer is listed under
 * {@code unavailable}, so that one slow function never fails the listing of the others.
 */
public final class FunctionListing {

  /** The names of one page, and the cursor of the next page ({@code null}: this is the last). */
  public record Page(List<String> names, String next) {
    /** A page of {@code names}, followed by more or not. */
    public static Page of(List<String> names, boolean more) {
      return new Page(names, more && !names.isEmpty() ? names.get(names.size() - 1) : null);
    }
  }

  private FunctionListing() {}

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
