package io.wavelink.cluster;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import io.wavelink.function.FunctionStore;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.pekko.serialization.Serialization;

/** Reads the journal itself (Cassandra, not through Pekko), to check what was and was not persisted. */
public final class JournalReader {

  private JournalReader() {}

  /** Every event of a persistence id, in order, deserialized by WaveLink's own serializers. */
  public static List<Object> events(CqlSession session, Serialization serialization, String persistenceId) {
    List<Object> events = new ArrayList<>();
    for (Row row :
        session.execute(
            "SELECT ser_id, ser_manifest, event FROM wavelink.messages WHERE persistence_id = ? AND partition_nr = 0",
            persistenceId)) {
      ByteBuffer buffer = row.getByteBuffer("event");
      byte[] bytes = new byte[buffer.remaining()];
      buffer.get(bytes);
      events.add(serialization.deserialize(bytes, row.getInt("ser_id"), row.getString("ser_manifest")).get());
    }
    return events;
  }

  /** The desired regular instances of a function, replayed from its journal as its store would. */
  public static Set<String> regularInstances(CqlSession session, Serialization serialization, String function) {
    Set<String> ids = new HashSet<>();
    for (Object event : events(session, serialization, "Function|" + function)) {
      if (event instanceof FunctionStore.RegularInstanceAdded a) {
        ids.add(a.instanceId());
      } else if (event instanceof FunctionStore.RegularInstanceRemoved r) {
        ids.remove(r.instanceId());
      }
    }
    return ids;
  }
}
