package io.wavelink.gateway;

import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Directives;
import org.apache.pekko.http.javadsl.server.Route;

/** Request bodies read up to a limit (413 beyond), for invocations sync and async. */
final class Bodies {

  private Bodies() {}

  /**
   * The request body, if it is at most {@code limit} bytes; else 413. A body over the limit is still
   * read to its end (and dropped), up to the server's {@code max-content-length}, so that the 413
   * reaches the client: closing a connection whose request is still arriving resets it, and the
   * client would see no answer at all.
   */
  static Route bounded(long limit, java.util.function.Function<byte[], Route> inner) {
    return Directives.extractRequestEntity(
        entity ->
            Directives.extractMaterializer(
                mat ->
                    Directives.onSuccess(
                        entity
                            .getDataBytes()
                            .runFold(new BodyUpTo(limit), BodyUpTo::add, mat),
                        body ->
                            body.tooLarge()
                                ? ApiResponses.error(StatusCodes.PAYLOAD_TOO_LARGE, "payload_too_large",
                                    "the request body (" + body.seen + " bytes) is larger than the limit of " + limit + " bytes")
                                : inner.apply(body.bytes()))));
  }

  /** A request body read up to a limit: past it, bytes are counted and dropped. */
  private static final class BodyUpTo {
    private final long limit;
    private org.apache.pekko.util.ByteString kept = org.apache.pekko.util.ByteString.emptyByteString();
    private long seen;

    BodyUpTo(long limit) {
      this.limit = limit;
    }

    BodyUpTo add(org.apache.pekko.util.ByteString chunk) {
      seen += chunk.size();
      if (seen <= limit) {
        kept = kept.concat(chunk);
      } else {
        kept = org.apache.pekko.util.ByteString.emptyByteString();
      }
      return this;
    }

    boolean tooLarge() {
      return seen > limit;
    }

    byte[] bytes() {
      return kept.toArray();
    }
  }

}
