package io.wavelink.function.serialization;

import com.google.protobuf.ByteString;
import io.wavelink.function.FunctionSpec;
import io.wavelink.function.serialization.proto.FunctionProtos;
import io.wavelink.node.ModuleRef;

/** A {@link FunctionSpec} to and from its Protobuf form, as it travels and as the journal keeps it. */
final class SpecCodec {

  private SpecCodec() {}

  static FunctionProtos.FunctionSpec toProto(FunctionSpec s) {
    return FunctionProtos.FunctionSpec.newBuilder()
        .setName(s.name())
        .setRuntime(s.runtime())
        .setCode(ByteString.copyFrom(s.module().inlineCode()))
        .setCodeSha256(s.module().sha256())
        .setCodeSize(s.module().sizeBytes())
        .setMemoryMb(s.memoryMb())
        .setTimeoutMs(s.timeoutMs())
        .setConcurrency(s.concurrency())
        .setMinScale(s.minScale())
        .setMaxScale(s.maxScale())
        .putAllEnv(s.env())
        .setControlPlaneMode(s.controlPlaneMode())
        .setRegularTrackDelayMs(s.regularTrackDelayMs())
        .putAllAutoscaling(s.autoscaling())
        .setAsync(FunctionProtos.AsyncPolicy.newBuilder()
            .setRetries(s.async().retries())
            .setConcurrency(s.async().concurrency())
            .setBackoffMs(s.async().backoffMs())
            .setDeadLetterFunction(s.async().deadLetterFunction())
            .addAllSchedules(s.async().schedules().stream()
                .map(c -> FunctionProtos.Schedule.newBuilder()
                    .setCron(c.cron()).setTimeZone(c.timeZone()).setInput(c.input()).setMissed(c.missed()).build())
                .toList()))
        .build();
  }

  static FunctionSpec fromProto(FunctionProtos.FunctionSpec p) {
    return new FunctionSpec(
        p.getName(),
        p.getRuntime(),
        module(p),
        p.getMemoryMb(),
        p.getTimeoutMs(),
        p.getConcurrency(),
        p.getMinScale(),
        p.getMaxScale(),
        p.getEnvMap(),
        p.getControlPlaneMode(),
        p.getRegularTrackDelayMs(),
        p.getAutoscalingMap(),
        // a spec written before async calls existed takes the defaults
        p.hasAsync()
            ? new FunctionSpec.AsyncPolicy(p.getAsync().getRetries(), p.getAsync().getConcurrency(), p.getAsync().getBackoffMs(),
                p.getAsync().getSchedulesList().stream()
                    .map(c -> new FunctionSpec.Schedule(c.getCron(), c.getTimeZone(), c.getInput(), c.getMissed()))
                    .toList(),
                p.getAsync().getDeadLetterFunction())
            : FunctionSpec.AsyncPolicy.DEFAULT);
  }

  /**
   * A spec's module: by hash; or, in an event or message older than the module store (no hash), the
   * inline code, which keeps starting its instances as before.
   */
  private static ModuleRef module(FunctionProtos.FunctionSpec p) {
    if (!p.getCodeSha256().isEmpty()) {
      return ModuleRef.stored(p.getCodeSha256(), p.getCodeSize());
    }
    return p.getCode().isEmpty() ? ModuleRef.NONE : ModuleRef.inline(p.getCode().toByteArray());
  }
}
