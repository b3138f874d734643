package io.wavelink.function.serialization;

import io.wavelink.function.FunctionProtocol.LogEntry;
import io.wavelink.function.FunctionProtocol.Logs;
import io.wavelink.function.serialization.proto.FunctionProtos;

/** A page of a function's invocation log ({@link Logs}) to and from its Protobuf form. */
final class LogsCodec {

  private LogsCodec() {}

  static FunctionProtos.Logs toProto(Logs m) {
    FunctionProtos.Logs.Builder b = FunctionProtos.Logs.newBuilder().setFound(m.found()).setNext(m.next()).setMissed(m.missed());
    for (LogEntry e : m.entries()) {
      b.addEntries(FunctionProtos.LogEntry.newBuilder()
          .setSeq(e.seq()).setAtMs(e.atMs()).setInstanceId(e.instanceId()).setKind(e.kind()).setNodeId(e.nodeId())
          .setStatus(e.status()).setMessage(e.message()).setDurationMicros(e.durationMicros()).setStderrTail(e.stderrTail()));
    }
    return b.build();
  }

  static Logs fromProto(FunctionProtos.Logs p) {
    return new Logs(
        p.getFound(),
        p.getEntriesList().stream()
            .map(e -> new LogEntry(e.getSeq(), e.getAtMs(), e.getInstanceId(), e.getKind(), e.getNodeId(), e.getStatus(),
                e.getMessage(), e.getDurationMicros(), e.getStderrTail()))
            .toList(),
        p.getNext(),
        p.getMissed());
  }
}
