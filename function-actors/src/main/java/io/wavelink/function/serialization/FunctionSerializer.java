package io.wavelink.function.serialization;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import io.wavelink.function.FunctionCatalog;
import io.wavelink.function.FunctionEntity;
import io.wavelink.function.FunctionStatus;
import io.wavelink.function.FunctionSpec;
import io.wavelink.function.FunctionStore;
import io.wavelink.function.serialization.proto.FunctionProtos;
import io.wavelink.node.InstanceKind;
import io.wavelink.node.InvocationReply;
import io.wavelink.node.ModuleRef;
import java.io.NotSerializableException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.SerializerWithStringManifest;

/**
 * Protobuf wire format of the function-actors protocol ({@code function.proto}): the
 * FunctionEntity's commands and replies, the FunctionStore's commands, replies, journal events and
 * snapshot state, and the FunctionCatalog's commands, replies, events and snapshot state. Bound in
 * this module's {@code reference.conf}.
 *
 * <p>The manifests below are frozen: they are in journals and on the wire. A new message gets a new
 * manifest; a manifest is never reused for another message. Unknown manifests throw {@link
 * NotSerializableException}. Actor refs travel as strings in {@link ActorRefResolver}'s format; the
 * singletons {@link FunctionEntity.Wake} and {@link FunctionCatalog.Ack} are their manifest alone.
 */
public final class FunctionSerializer extends SerializerWithStringManifest {

  /** Serializer id; ids 0-40 are reserved by Pekko. */
  public static final int IDENTIFIER = 4102;

  private static final byte[] EMPTY = new byte[0];

  // FunctionEntity.Command
  static final String ENTITY_DEPLOY = "FD";
  static final String ENTITY_DELETE = "FX";
  static final String ENTITY_GET = "FG";
  static final String ENTITY_INVOKE = "FI";
  static final String ENTITY_WAKE = "FW";
  static final String ENTITY_CHECK_PLACEMENT = "FCP";
  static final String ENTITY_FIND_CALLS = "FFC";
  static final String ENTITY_GET_LOGS = "FGL";
  // FunctionEntity replies
  static final String ENTITY_DEPLOYED = "FDK";
  static final String ENTITY_DEPLOY_REJECTED = "FDR";
  static final String ENTITY_DELETE_REPLY = "FXR";
  static final String ENTITY_STATUS = "FS";
  static final String ENTITY_CALLS_NOT_HELD = "FCN";
  static final String ENTITY_LOGS = "FL";
  // FunctionStore.Command
  static final String STORE_DEPLOY = "SD";
  static final String STORE_DELETE = "SX";
  static final String STORE_ADD_REGULAR = "SA";
  static final String STORE_ASSIGN_REGULAR = "SN";
  static final String STORE_REMOVE_REGULAR = "SR";
  static final String STORE_GET = "SG";
  // FunctionStore replies
  static final String STORE_DEPLOYED = "SDK";
  static final String STORE_DEPLOY_CONFLICT = "SDC";
  static final String STORE_DELETE_RESULT = "SXR";
  static final String STORE_DONE = "SK";
  // FunctionStore.State (reply and snapshots)
  static final String STORE_STATE = "SS";
  // FunctionStore.Event
  static final String FUNCTION_DEPLOYED = "SFD";
  static final String FUNCTION_DELETED = "SFX";
  static final String REGULAR_INSTANCE_ADDED = "SRA";
  static final String REGULAR_INSTANCE_ASSIGNED = "SRN";
  static final String REGULAR_INSTANCE_REMOVED = "SRR";
  // FunctionCatalog.Command
  static final String CATALOG_REGISTER = "CR";
  static final String CATALOG_UNREGISTER = "CU";
  static final String CATALOG_LIST_NAMES = "CL";
  // FunctionCatalog replies
  static final String CATALOG_ACK = "CA";
  static final String CATALOG_NAMES = "CN";
  // FunctionCatalog.Event
  static final String FUNCTION_REGISTERED = "CFR";
  static final String FUNCTION_UNREGISTERED = "CFU";
  // FunctionCatalog.State (snapshots)
  static final String CATALOG_STATE = "CS";

  private final ExtendedActorSystem system;
  private volatile ActorRefResolver resolver;

  public FunctionSerializer(ExtendedActorSystem system) {
    this.system = system;
  }

  @Override
  public int identifier() {
    return IDENTIFIER;
  }

  @Override
  public String manifest(Object o) {
    if (o instanceof FunctionEntity.Deploy) return ENTITY_DEPLOY;
    if (o instanceof FunctionEntity.Delete) return ENTITY_DELETE;
    if (o instanceof FunctionEntity.Get) return ENTITY_GET;
    if (o instanceof FunctionEntity.FindCalls) return ENTITY_FIND_CALLS;
    if (o instanceof FunctionEntity.CallsNotHeld) return ENTITY_CALLS_NOT_HELD;
    if (o instanceof FunctionEntity.GetLogs) return ENTITY_GET_LOGS;
    if (o instanceof FunctionEntity.Logs) return ENTITY_LOGS;
    if (o instanceof FunctionEntity.CheckPlacement) return ENTITY_CHECK_PLACEMENT;
    if (o instanceof FunctionEntity.Invoke) return ENTITY_INVOKE;
    if (o instanceof FunctionEntity.Wake) return ENTITY_WAKE;
    if (o instanceof FunctionEntity.Deployed) return ENTITY_DEPLOYED;
    if (o instanceof FunctionEntity.DeployRejected) return ENTITY_DEPLOY_REJECTED;
    if (o instanceof FunctionEntity.DeleteReply) return ENTITY_DELETE_REPLY;
    if (o instanceof FunctionStatus) return ENTITY_STATUS;
    if (o instanceof FunctionStore.Deploy) return STORE_DEPLOY;
    if (o instanceof FunctionStore.Delete) return STORE_DELETE;
    if (o instanceof FunctionStore.AddRegular) return STORE_ADD_REGULAR;
    if (o instanceof FunctionStore.AssignRegular) return STORE_ASSIGN_REGULAR;
    if (o instanceof FunctionStore.RemoveRegular) return STORE_REMOVE_REGULAR;
    if (o instanceof FunctionStore.Get) return STORE_GET;
    if (o instanceof FunctionStore.Deployed) return STORE_DEPLOYED;
    if (o instanceof FunctionStore.DeployConflict) return STORE_DEPLOY_CONFLICT;
    if (o instanceof FunctionStore.DeleteResult) return STORE_DELETE_RESULT;
    if (o instanceof FunctionStore.Done) return STORE_DONE;
    if (o instanceof FunctionStore.State) return STORE_STATE;
    if (o instanceof FunctionStore.FunctionDeployed) return FUNCTION_DEPLOYED;
    if (o instanceof FunctionStore.FunctionDeleted) return FUNCTION_DELETED;
    if (o instanceof FunctionStore.RegularInstanceAdded) return REGULAR_INSTANCE_ADDED;
    if (o instanceof FunctionStore.RegularInstanceAssigned) return REGULAR_INSTANCE_ASSIGNED;
    if (o instanceof FunctionStore.RegularInstanceRemoved) return REGULAR_INSTANCE_REMOVED;
    if (o instanceof FunctionCatalog.Register) return CATALOG_REGISTER;
    if (o instanceof FunctionCatalog.Unregister) return CATALOG_UNREGISTER;
    if (o instanceof FunctionCatalog.ListNames) return CATALOG_LIST_NAMES;
    if (o instanceof FunctionCatalog.Ack) return CATALOG_ACK;
    if (o instanceof FunctionCatalog.Names) return CATALOG_NAMES;
    if (o instanceof FunctionCatalog.FunctionRegistered) return FUNCTION_REGISTERED;
    if (o instanceof FunctionCatalog.FunctionUnregistered) return FUNCTION_UNREGISTERED;
    if (o instanceof FunctionCatalog.State) return CATALOG_STATE;
    throw cannotSerialize(o);
  }

  @Override
  public byte[] toBinary(Object o) {
    if (o instanceof FunctionEntity.Wake || o instanceof FunctionCatalog.Ack) {
      return EMPTY;
    }
    return toProto(o).toByteArray();
  }

  private MessageLite toProto(Object o) {
    // ---- FunctionEntity
    if (o instanceof FunctionEntity.Deploy m) {
      return FunctionProtos.Deploy.newBuilder()
          .setSpec(spec(m.spec()))
          .setExpectedVersion(m.expectedVersion())
          .setReplyTo(ref(m.replyTo()))
          .build();
    }
    if (o instanceof FunctionEntity.Delete m) {
      return FunctionProtos.Delete.newBuilder().setReplyTo(ref(m.replyTo())).build();
    }
    if (o instanceof FunctionEntity.CheckPlacement m) {
      return FunctionProtos.CheckPlacement.newBuilder()
          .setInstanceId(m.instanceId())
          .setNodeId(m.nodeId())
          .setReplyTo(ref(m.replyTo()))
          .build();
    }
    if (o instanceof FunctionEntity.Get m) {
      return FunctionProtos.Get.newBuilder().setReplyTo(ref(m.replyTo())).build();
    }
    if (o instanceof FunctionEntity.FindCalls m) {
      FunctionProtos.FindCalls.Builder b = FunctionProtos.FindCalls.newBuilder().setReplyTo(ref(m.replyTo()));
      m.calls().forEach(c -> b.addCalls(ref(c)));
      return b.build();
    }
    if (o instanceof FunctionEntity.GetLogs m) {
      return FunctionProtos.GetLogs.newBuilder().setAfter(m.after()).setLimit(m.limit()).setReplyTo(ref(m.replyTo())).build();
    }
    if (o instanceof FunctionEntity.Logs m) return LogsCodec.toProto(m);
    if (o instanceof FunctionEntity.CallsNotHeld m) {
      FunctionProtos.CallsNotHeld.Builder b = FunctionProtos.CallsNotHeld.newBuilder();
      m.calls().forEach(c -> b.addCalls(ref(c)));
      return b.build();
    }
    if (o instanceof FunctionEntity.Invoke m) {
      FunctionProtos.Invoke.Builder b =
          FunctionProtos.Invoke.newBuilder().setInput(ByteString.copyFrom(m.input())).setReplyTo(ref(m.replyTo()));
      if (m.inputRef() != null) {
        b.setInputStore(ref(m.inputRef().store())).setInputId(m.inputRef().id()).setInputSize(m.inputRef().size());
      }
      return b.setRequestId(m.requestId()).build();
    }
    if (o instanceof FunctionEntity.Deployed m) {
      return FunctionProtos.Deployed.newBuilder()
          .setVersion(m.version())
          .setCreated(m.created())
          .build();
    }
    if (o instanceof FunctionEntity.DeployRejected m) {
      return FunctionProtos.DeployRejected.newBuilder()
          .setReason(reason(m.reason()))
          .setMessage(m.message())
          .build();
    }
    if (o instanceof FunctionEntity.DeleteReply m) {
      return FunctionProtos.DeleteReply.newBuilder()
          .setFound(m.found())
          .setUnavailable(m.unavailable())
          .setMessage(m.message())
          .build();
    }
    if (o instanceof FunctionStatus m) return functionStatus(m);
    // ---- FunctionStore
    if (o instanceof FunctionStore.Deploy m) {
      return FunctionProtos.StoreDeploy.newBuilder()
          .setSpec(spec(m.spec()))
          .setExpectedVersion(m.expectedVersion())
          .setReplyTo(ref(m.replyTo()))
          .build();
    }
    if (o instanceof FunctionStore.Delete m) {
      return FunctionProtos.StoreDelete.newBuilder().setReplyTo(ref(m.replyTo())).build();
    }
    if (o instanceof FunctionStore.AddRegular m) {
      return FunctionProtos.AddRegular.newBuilder()
          .setInstanceId(m.instanceId())
          .setReplyTo(ref(m.replyTo()))
          .setNodeId(m.nodeId())
          .build();
    }
    if (o instanceof FunctionStore.AssignRegular m) {
      return FunctionProtos.AssignRegular.newBuilder()
          .setInstanceId(m.instanceId())
          .setNodeId(m.nodeId())
          .setReplyTo(ref(m.replyTo()))
          .build();
    }
    if (o instanceof FunctionStore.RemoveRegular m) {
      return FunctionProtos.RemoveRegular.newBuilder()
          .setInstanceId(m.instanceId())
          .setReplyTo(ref(m.replyTo()))
          .build();
    }
    if (o instanceof FunctionStore.Get m) {
      return FunctionProtos.StoreGet.newBuilder().setReplyTo(ref(m.replyTo())).build();
    }
    if (o instanceof FunctionStore.Deployed m) {
      return FunctionProtos.StoreDeployed.newBuilder()
          .setVersion(m.version())
          .setCreated(m.created())
          .setState(storeState(m.state()))
          .build();
    }
    if (o instanceof FunctionStore.DeployConflict m) {
      return FunctionProtos.DeployConflict.newBuilder().setMessage(m.message()).build();
    }
    if (o instanceof FunctionStore.DeleteResult m) {
      return FunctionProtos.DeleteResult.newBuilder()
          .setFound(m.found())
          .setState(storeState(m.state()))
          .build();
    }
    if (o instanceof FunctionStore.Done m) {
      return FunctionProtos.Done.newBuilder()
          .setInstanceId(m.instanceId())
          .setState(storeState(m.state()))
          .build();
    }
    if (o instanceof FunctionStore.State m) return storeState(m);
    if (o instanceof FunctionStore.FunctionDeployed m) {
      return FunctionProtos.FunctionDeployed.newBuilder()
          .setSpec(spec(m.spec()))
          .setVersion(m.version())
          .build();
    }
    if (o instanceof FunctionStore.FunctionDeleted m) {
      return FunctionProtos.FunctionDeleted.newBuilder().setVersion(m.version()).build();
    }
    if (o instanceof FunctionStore.RegularInstanceAdded m) {
      return FunctionProtos.RegularInstanceAdded.newBuilder()
          .setInstanceId(m.instanceId())
          .setVersion(m.version())
          .build();
    }
    if (o instanceof FunctionStore.RegularInstanceAssigned m) {
      return FunctionProtos.RegularInstanceAssigned.newBuilder()
          .setInstanceId(m.instanceId())
          .setNodeId(m.nodeId())
          .build();
    }
    if (o instanceof FunctionStore.RegularInstanceRemoved m) {
      return FunctionProtos.RegularInstanceRemoved.newBuilder().setInstanceId(m.instanceId()).build();
    }
    // ---- FunctionCatalog
    if (o instanceof FunctionCatalog.Register m) {
      return FunctionProtos.CatalogRegister.newBuilder()
          .setName(m.name())
          .setReplyTo(ref(m.replyTo()))
          .setAsleep(m.asleep())
          .build();
    }
    if (o instanceof FunctionCatalog.Unregister m) {
      return FunctionProtos.CatalogUnregister.newBuilder()
          .setName(m.name())
          .setReplyTo(ref(m.replyTo()))
          .build();
    }
    if (o instanceof FunctionCatalog.ListNames m) {
      return FunctionProtos.ListNames.newBuilder()
          .setReplyTo(ref(m.replyTo()))
          .setAfter(m.after())
          .setLimit(m.limit())
          .build();
    }
    if (o instanceof FunctionCatalog.Names m) {
      return FunctionProtos.Names.newBuilder().addAllNames(m.names()).setMore(m.more()).build();
    }
    if (o instanceof FunctionCatalog.FunctionRegistered m) {
      return FunctionProtos.FunctionRegistered.newBuilder().setName(m.name()).setAsleep(m.asleep()).build();
    }
    if (o instanceof FunctionCatalog.FunctionUnregistered m) {
      return FunctionProtos.FunctionUnregistered.newBuilder().setName(m.name()).build();
    }
    if (o instanceof FunctionCatalog.State m) {
      return FunctionProtos.CatalogState.newBuilder()
          .addAllNames(m.names())
          .addAllAwake(m.awakeNames())
          .setAwakeKnown(true)
          .build();
    }
    throw cannotSerialize(o);
  }

  @Override
  public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
    try {
      return fromProto(bytes, manifest);
    } catch (InvalidProtocolBufferException | IllegalArgumentException e) {
      NotSerializableException failure =
          new NotSerializableException(
              "Cannot deserialize manifest [" + manifest + "] with " + getClass().getName()
                  + ": " + e.getMessage());
      failure.initCause(e);
      throw failure;
    }
  }

  private Object fromProto(byte[] bytes, String manifest)
      throws InvalidProtocolBufferException, NotSerializableException {
    switch (manifest) {
        // ---- FunctionEntity
      case ENTITY_DEPLOY:
        {
          FunctionProtos.Deploy p = FunctionProtos.Deploy.parseFrom(bytes);
          return new FunctionEntity.Deploy(
              spec(p.getSpec()), p.getExpectedVersion(), resolve(p.getReplyTo()));
        }
      case ENTITY_DELETE:
        return new FunctionEntity.Delete(resolve(FunctionProtos.Delete.parseFrom(bytes).getReplyTo()));
      case ENTITY_CHECK_PLACEMENT:
        {
          FunctionProtos.CheckPlacement p = FunctionProtos.CheckPlacement.parseFrom(bytes);
          return new FunctionEntity.CheckPlacement(p.getInstanceId(), p.getNodeId(), resolve(p.getReplyTo()));
        }
      case ENTITY_GET:
        return new FunctionEntity.Get(resolve(FunctionProtos.Get.parseFrom(bytes).getReplyTo()));
      case ENTITY_FIND_CALLS:
        {
          FunctionProtos.FindCalls p = FunctionProtos.FindCalls.parseFrom(bytes);
          return new FunctionEntity.FindCalls(
              p.getCallsList().stream().<ActorRef<InvocationReply>>map(this::resolve).toList(), resolve(p.getReplyTo()));
        }
      case ENTITY_GET_LOGS:
        {
          FunctionProtos.GetLogs p = FunctionProtos.GetLogs.parseFrom(bytes);
          return new FunctionEntity.GetLogs(p.getAfter(), p.getLimit(), resolve(p.getReplyTo()));
        }
      case ENTITY_LOGS:
        return LogsCodec.fromProto(FunctionProtos.Logs.parseFrom(bytes));
      case ENTITY_CALLS_NOT_HELD:
        return new FunctionEntity.CallsNotHeld(
            FunctionProtos.CallsNotHeld.parseFrom(bytes).getCallsList().stream()
                .<ActorRef<InvocationReply>>map(this::resolve).toList());
      case ENTITY_INVOKE:
        {
          FunctionProtos.Invoke p = FunctionProtos.Invoke.parseFrom(bytes);
          return new FunctionEntity.Invoke(
              p.getInput().toByteArray(),
              resolve(p.getReplyTo()),
              p.getInputId().isEmpty()
                  ? null
                  : new io.wavelink.node.Blobs.Ref(resolve(p.getInputStore()), p.getInputId(), p.getInputSize()),
              p.getRequestId());
        }
      case ENTITY_WAKE:
        return FunctionEntity.Wake.INSTANCE;
      case ENTITY_DEPLOYED:
        {
          FunctionProtos.Deployed p = FunctionProtos.Deployed.parseFrom(bytes);
          return new FunctionEntity.Deployed(p.getVersion(), p.getCreated());
        }
      case ENTITY_DEPLOY_REJECTED:
        {
          FunctionProtos.DeployRejected p = FunctionProtos.DeployRejected.parseFrom(bytes);
          return new FunctionEntity.DeployRejected(reason(p.getReason()), p.getMessage());
        }
      case ENTITY_DELETE_REPLY:
        {
          FunctionProtos.DeleteReply p = FunctionProtos.DeleteReply.parseFrom(bytes);
          return new FunctionEntity.DeleteReply(p.getFound(), p.getUnavailable(), p.getMessage());
        }
      case ENTITY_STATUS:
        return functionStatus(FunctionProtos.FunctionStatus.parseFrom(bytes));
        // ---- FunctionStore
      case STORE_DEPLOY:
        {
          FunctionProtos.StoreDeploy p = FunctionProtos.StoreDeploy.parseFrom(bytes);
          return new FunctionStore.Deploy(
              spec(p.getSpec()), p.getExpectedVersion(), resolve(p.getReplyTo()));
        }
      case STORE_DELETE:
        return new FunctionStore.Delete(
            resolve(FunctionProtos.StoreDelete.parseFrom(bytes).getReplyTo()));
      case STORE_ADD_REGULAR:
        {
          FunctionProtos.AddRegular p = FunctionProtos.AddRegular.parseFrom(bytes);
          return new FunctionStore.AddRegular(p.getInstanceId(), p.getNodeId(), resolve(p.getReplyTo()));
        }
      case STORE_ASSIGN_REGULAR:
        {
          FunctionProtos.AssignRegular p = FunctionProtos.AssignRegular.parseFrom(bytes);
          return new FunctionStore.AssignRegular(
              p.getInstanceId(), p.getNodeId(), resolve(p.getReplyTo()));
        }
      case STORE_REMOVE_REGULAR:
        {
          FunctionProtos.RemoveRegular p = FunctionProtos.RemoveRegular.parseFrom(bytes);
          return new FunctionStore.RemoveRegular(p.getInstanceId(), resolve(p.getReplyTo()));
        }
      case STORE_GET:
        return new FunctionStore.Get(resolve(FunctionProtos.StoreGet.parseFrom(bytes).getReplyTo()));
      case STORE_DEPLOYED:
        {
          FunctionProtos.StoreDeployed p = FunctionProtos.StoreDeployed.parseFrom(bytes);
          return new FunctionStore.Deployed(p.getVersion(), p.getCreated(), storeState(p.getState()));
        }
      case STORE_DEPLOY_CONFLICT:
        return new FunctionStore.DeployConflict(
            FunctionProtos.DeployConflict.parseFrom(bytes).getMessage());
      case STORE_DELETE_RESULT:
        {
          FunctionProtos.DeleteResult p = FunctionProtos.DeleteResult.parseFrom(bytes);
          return new FunctionStore.DeleteResult(p.getFound(), storeState(p.getState()));
        }
      case STORE_DONE:
        {
          FunctionProtos.Done p = FunctionProtos.Done.parseFrom(bytes);
          return new FunctionStore.Done(p.getInstanceId(), storeState(p.getState()));
        }
      case STORE_STATE:
        return storeState(FunctionProtos.StoreState.parseFrom(bytes));
      case FUNCTION_DEPLOYED:
        {
          FunctionProtos.FunctionDeployed p = FunctionProtos.FunctionDeployed.parseFrom(bytes);
          return new FunctionStore.FunctionDeployed(spec(p.getSpec()), p.getVersion());
        }
      case FUNCTION_DELETED:
        return new FunctionStore.FunctionDeleted(
            FunctionProtos.FunctionDeleted.parseFrom(bytes).getVersion());
      case REGULAR_INSTANCE_ADDED:
        {
          FunctionProtos.RegularInstanceAdded p = FunctionProtos.RegularInstanceAdded.parseFrom(bytes);
          return new FunctionStore.RegularInstanceAdded(p.getInstanceId(), p.getVersion());
        }
      case REGULAR_INSTANCE_ASSIGNED:
        {
          FunctionProtos.RegularInstanceAssigned p =
              FunctionProtos.RegularInstanceAssigned.parseFrom(bytes);
          return new FunctionStore.RegularInstanceAssigned(p.getInstanceId(), p.getNodeId());
        }
      case REGULAR_INSTANCE_REMOVED:
        return new FunctionStore.RegularInstanceRemoved(
            FunctionProtos.RegularInstanceRemoved.parseFrom(bytes).getInstanceId());
        // ---- FunctionCatalog
      case CATALOG_REGISTER:
        {
          FunctionProtos.CatalogRegister p = FunctionProtos.CatalogRegister.parseFrom(bytes);
          return new FunctionCatalog.Register(p.getName(), p.getAsleep(), resolve(p.getReplyTo()));
        }
      case CATALOG_UNREGISTER:
        {
          FunctionProtos.CatalogUnregister p = FunctionProtos.CatalogUnregister.parseFrom(bytes);
          return new FunctionCatalog.Unregister(p.getName(), resolve(p.getReplyTo()));
        }
      case CATALOG_LIST_NAMES:
        {
          FunctionProtos.ListNames p = FunctionProtos.ListNames.parseFrom(bytes);
          return new FunctionCatalog.ListNames(p.getAfter(), p.getLimit(), resolve(p.getReplyTo()));
        }
      case CATALOG_ACK:
        return FunctionCatalog.Ack.INSTANCE;
      case CATALOG_NAMES:
        {
          FunctionProtos.Names p = FunctionProtos.Names.parseFrom(bytes);
          return new FunctionCatalog.Names(List.copyOf(p.getNamesList()), p.getMore());
        }
      case FUNCTION_REGISTERED:
        {
          FunctionProtos.FunctionRegistered p = FunctionProtos.FunctionRegistered.parseFrom(bytes);
          return new FunctionCatalog.FunctionRegistered(p.getName(), p.getAsleep());
        }
      case FUNCTION_UNREGISTERED:
        return new FunctionCatalog.FunctionUnregistered(
            FunctionProtos.FunctionUnregistered.parseFrom(bytes).getName());
      case CATALOG_STATE:
        {
          FunctionProtos.CatalogState p = FunctionProtos.CatalogState.parseFrom(bytes);
          return p.getAwakeKnown()
              ? FunctionCatalog.State.of(p.getNamesList(), p.getAwakeList())
              : FunctionCatalog.State.of(p.getNamesList());
        }
      default:
        throw new NotSerializableException(
            "Unknown manifest [" + manifest + "] for " + getClass().getName());
    }
  }

  // ---------------------------------------------------------------- nested messages

  private static FunctionProtos.FunctionSpec spec(FunctionSpec s) {
    return SpecCodec.toProto(s);
  }

  private static FunctionSpec spec(FunctionProtos.FunctionSpec p) {
    return SpecCodec.fromProto(p);
  }

  private static FunctionProtos.FunctionStatus functionStatus(FunctionStatus m) {
    FunctionProtos.FunctionStatus.Builder b =
        FunctionProtos.FunctionStatus.newBuilder()
            .setFound(m.found())
            .setMember(m.member())
            .setUptimeMs(m.uptimeMs())
            .setVersion(m.version())
            .setMode(m.mode())
            .setInFlight(m.inFlight())
            .setQueued(m.queued());
    if (m.spec() != null) {
      b.setSpec(spec(m.spec()));
    }
    for (FunctionStatus.InstanceStatus i : m.instances()) {
      b.addInstances(
          FunctionProtos.InstanceStatus.newBuilder()
              .setInstanceId(i.instanceId())
              .setKind(kind(i.kind()))
              .setState(i.state())
              .setNodeId(i.nodeId())
              .setInFlight(i.inFlight())
              .setConcurrency(i.concurrency()));
    }
    if (m.stats() != null) {
      FunctionStatus.Stats s = m.stats();
      b.setStats(
          FunctionProtos.Stats.newBuilder()
              .setRegularInvocations(s.regularInvocations())
              .setEmergencyInvocations(s.emergencyInvocations())
              .setRegularColdStarts(s.regularColdStarts())
              .setEmergencyColdStarts(s.emergencyColdStarts())
              .setEmergencySpawns(s.emergencySpawns())
              .setEmergencyRetirements(s.emergencyRetirements())
              .setRejected(s.rejected())
              .setPanic(s.panic())
              .setDesiredRegular(s.desiredRegular())
              .setRegularInstanceMs(s.regularInstanceMs())
              .setEmergencyInstanceMs(s.emergencyInstanceMs())
              .setRegularMbMs(s.regularMbMs())
              .setEmergencyMbMs(s.emergencyMbMs())
              .setPeakRegular(s.peakRegular())
              .setPeakEmergency(s.peakEmergency())
              .setEvictedRegular(s.evictedRegular())
              .setEvictedEmergency(s.evictedEmergency())
              .setExpired(s.expired())
              .setNoCapacity(s.noCapacity())
              .setTouchedRegularMbMs(s.touchedRegularMbMs())
              .setTouchedEmergencyMbMs(s.touchedEmergencyMbMs()));
    }
    return b.build();
  }

  private static FunctionStatus functionStatus(FunctionProtos.FunctionStatus p) {
    List<FunctionStatus.InstanceStatus> instances = new ArrayList<>(p.getInstancesCount());
    for (FunctionProtos.InstanceStatus i : p.getInstancesList()) {
      instances.add(
          new FunctionStatus.InstanceStatus(
              i.getInstanceId(),
              kind(i.getKind()),
              i.getState(),
              i.getNodeId(),
              i.getInFlight(),
              i.getConcurrency()));
    }
    FunctionStatus.Stats stats = null;
    if (p.hasStats()) {
      FunctionProtos.Stats s = p.getStats();
      stats =
          new FunctionStatus.Stats(
              s.getRegularInvocations(),
              s.getEmergencyInvocations(),
              s.getRegularColdStarts(),
              s.getEmergencyColdStarts(),
              s.getEmergencySpawns(),
              s.getEmergencyRetirements(),
              s.getRejected(),
              s.getPanic(),
              s.getDesiredRegular(),
              s.getRegularInstanceMs(),
              s.getEmergencyInstanceMs(),
              s.getRegularMbMs(),
              s.getEmergencyMbMs(),
              s.getPeakRegular(),
              s.getPeakEmergency(),
              s.getEvictedRegular(),
              s.getEvictedEmergency(),
              s.getExpired(),
              s.getNoCapacity(),
              s.getTouchedRegularMbMs(),
              s.getTouchedEmergencyMbMs());
    }
    return new FunctionStatus(
        p.getFound(),
        p.hasSpec() ? spec(p.getSpec()) : null,
        p.getVersion(),
        p.getMode(),
        List.copyOf(instances),
        p.getInFlight(),
        p.getQueued(),
        stats,
        p.getMember(),
        p.getUptimeMs());
  }

  private static FunctionProtos.StoreState storeState(FunctionStore.State m) {
    FunctionProtos.StoreState.Builder b =
        FunctionProtos.StoreState.newBuilder()
            .setVersion(m.version())
            .setLastVersion(m.lastVersion());
    m.spec().ifPresent(s -> b.setSpec(spec(s)));
    m.regular()
        .forEach(
            (id, r) ->
                b.putRegular(
                    id,
                    FunctionProtos.RegularInstance.newBuilder()
                        .setInstanceId(r.instanceId())
                        .setVersion(r.version())
                        .setNodeId(r.nodeId())
                        .build()));
    return b.build();
  }

  private static FunctionStore.State storeState(FunctionProtos.StoreState p) {
    Map<String, FunctionStore.RegularInstance> regular = new HashMap<>();
    p.getRegularMap()
        .forEach(
            (id, r) ->
                regular.put(
                    id,
                    new FunctionStore.RegularInstance(r.getInstanceId(), r.getVersion(), r.getNodeId())));
    return new FunctionStore.State(
        p.hasSpec() ? Optional.of(spec(p.getSpec())) : Optional.empty(),
        p.getVersion(),
        p.getLastVersion(),
        Map.copyOf(regular));
  }

  // ---------------------------------------------------------------- enums (frozen mappings)

  private static FunctionProtos.InstanceKind kind(InstanceKind kind) {
    switch (kind) {
      case REGULAR:
        return FunctionProtos.InstanceKind.INSTANCE_KIND_REGULAR;
      case EMERGENCY:
        return FunctionProtos.InstanceKind.INSTANCE_KIND_EMERGENCY;
      default:
        throw new IllegalArgumentException("Unknown instance kind " + kind);
    }
  }

  private static InstanceKind kind(FunctionProtos.InstanceKind kind) {
    switch (kind) {
      case INSTANCE_KIND_REGULAR:
        return InstanceKind.REGULAR;
      case INSTANCE_KIND_EMERGENCY:
        return InstanceKind.EMERGENCY;
      default:
        throw new IllegalArgumentException("Unknown instance kind " + kind);
    }
  }

  private static FunctionProtos.DeployRejected.Reason reason(
      FunctionEntity.DeployRejected.Reason reason) {
    switch (reason) {
      case CONFLICT:
        return FunctionProtos.DeployRejected.Reason.REASON_CONFLICT;
      case UNAVAILABLE:
        return FunctionProtos.DeployRejected.Reason.REASON_UNAVAILABLE;
      case INVALID:
        return FunctionProtos.DeployRejected.Reason.REASON_INVALID;
      default:
        throw new IllegalArgumentException("Unknown deploy rejection reason " + reason);
    }
  }

  private static FunctionEntity.DeployRejected.Reason reason(
      FunctionProtos.DeployRejected.Reason reason) {
    switch (reason) {
      case REASON_CONFLICT:
        return FunctionEntity.DeployRejected.Reason.CONFLICT;
      case REASON_UNAVAILABLE:
        return FunctionEntity.DeployRejected.Reason.UNAVAILABLE;
      case REASON_INVALID:
        return FunctionEntity.DeployRejected.Reason.INVALID;
      default:
        throw new IllegalArgumentException("Unknown deploy rejection reason " + reason);
    }
  }

  // ---------------------------------------------------------------- actor refs

  private ActorRefResolver resolver() {
    ActorRefResolver r = resolver;
    if (r == null) {
      // looked up on first use: serializers are created while the actor system starts
      r = ActorRefResolver.get(Adapter.toTyped(system));
      resolver = r;
    }
    return r;
  }

  private String ref(ActorRef<?> ref) {
    return resolver().toSerializationFormat(ref);
  }

  private <T> ActorRef<T> resolve(String serialized) {
    return resolver().resolveActorRef(serialized);
  }

  private IllegalArgumentException cannotSerialize(Object o) {
    return new IllegalArgumentException(
        "Cannot serialize [" + (o == null ? "null" : o.getClass().getName()) + "] with "
            + getClass().getName());
  }
}
