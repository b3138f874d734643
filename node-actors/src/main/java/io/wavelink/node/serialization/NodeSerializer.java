package io.wavelink.node.serialization;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import com.google.protobuf.Timestamp;
import io.wavelink.node.Blobs;
import io.wavelink.node.InstanceKind;
import io.wavelink.node.InvocationReply;
import io.wavelink.node.ModuleRef;
import io.wavelink.node.NodeEntity;
import io.wavelink.node.Wavelet;
import io.wavelink.node.serialization.proto.NodeProtos;
import java.io.NotSerializableException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.SerializerWithStringManifest;

/**
 * Protobuf wire format of the node-actors protocol ({@code node.proto}): the Wavelet's commands,
 * instance events and status, {@link InvocationReply}, and the NodeEntity's commands, journal
 * events, snapshot state and view. Bound in this module's {@code reference.conf}.
 *
 * <p>The manifests below are frozen: they are in journals and on the wire. A new message gets a new
 * manifest; a manifest is never reused for another message. Unknown manifests throw {@link
 * NotSerializableException}. Actor refs travel as strings in {@link ActorRefResolver}'s format.
 */
public final class NodeSerializer extends SerializerWithStringManifest {

  /** Serializer id; ids 0-40 are reserved by Pekko. */
  public static final int IDENTIFIER = 4101;

  // Wavelet.Command
  static final String START_INSTANCE = "WS";
  static final String STOP_INSTANCE = "WX";
  static final String INVOKE = "WI";
  static final String GET_STATUS = "WG";
  static final String RECONCILE = "WC";
  static final String RESERVE = "WV";
  static final String RECLAIM_DECLINED = "WB";
  static final String RENEW_LEASES = "WL";
  // Blobs.Command
  static final String BLOB_FETCH = "BF";
  static final String BLOB_DATA = "BD";
  // Wavelet.InstanceEvent
  static final String INSTANCE_READY = "WR";
  static final String INSTANCE_FAILED = "WF";
  static final String INVOCATION_FINISHED = "WD";
  static final String RESERVED = "WE";
  static final String RECLAIM = "WK";
  // Wavelet.NodeStatus, InvocationReply
  static final String NODE_STATUS = "WN";
  static final String INVOCATION_REPLY = "IR";
  // NodeEntity.Command
  static final String REGISTER = "NR";
  static final String PLACE = "NP";
  static final String RELEASE = "NL";
  static final String GET_STATE = "NG";
  static final String PLACEMENT_CHECKED = "NK";
  // NodeEntity.Event
  static final String NODE_REGISTERED = "NNR";
  static final String INSTANCE_PLACED = "NIP";
  static final String INSTANCE_RELEASED = "NIR";
  // NodeEntity.State (snapshots), NodeEntity.NodeView
  static final String NODE_STATE = "NS";
  static final String NODE_VIEW = "NV";

  private final ExtendedActorSystem system;
  private volatile ActorRefResolver resolver;

  public NodeSerializer(ExtendedActorSystem system) {
    this.system = system;
  }

  @Override
  public int identifier() {
    return IDENTIFIER;
  }

  @Override
  public String manifest(Object o) {
    if (o instanceof Wavelet.StartInstance) return START_INSTANCE;
    if (o instanceof Wavelet.StopInstance) return STOP_INSTANCE;
    if (o instanceof Wavelet.Invoke) return INVOKE;
    if (o instanceof Wavelet.GetStatus) return GET_STATUS;
    if (o instanceof Wavelet.Reconcile) return RECONCILE;
    if (o instanceof Wavelet.Reserve) return RESERVE;
    if (o instanceof Wavelet.ReclaimDeclined) return RECLAIM_DECLINED;
    if (o instanceof Wavelet.RenewLeases) return RENEW_LEASES;
    if (o instanceof Blobs.Fetch) return BLOB_FETCH;
    if (o instanceof Blobs.Data) return BLOB_DATA;
    if (o instanceof Wavelet.Reserved) return RESERVED;
    if (o instanceof Wavelet.Reclaim) return RECLAIM;
    if (o instanceof Wavelet.InstanceReady) return INSTANCE_READY;
    if (o instanceof Wavelet.InstanceFailed) return INSTANCE_FAILED;
    if (o instanceof Wavelet.InvocationFinished) return INVOCATION_FINISHED;
    if (o instanceof Wavelet.NodeStatus) return NODE_STATUS;
    if (o instanceof InvocationReply) return INVOCATION_REPLY;
    if (o instanceof NodeEntity.Register) return REGISTER;
    if (o instanceof NodeEntity.Place) return PLACE;
    if (o instanceof NodeEntity.Release) return RELEASE;
    if (o instanceof NodeEntity.GetState) return GET_STATE;
    if (o instanceof NodeEntity.PlacementChecked) return PLACEMENT_CHECKED;
    if (o instanceof NodeEntity.NodeRegistered) return NODE_REGISTERED;
    if (o instanceof NodeEntity.InstancePlaced) return INSTANCE_PLACED;
    if (o instanceof NodeEntity.InstanceReleased) return INSTANCE_RELEASED;
    if (o instanceof NodeEntity.State) return NODE_STATE;
    if (o instanceof NodeEntity.NodeView) return NODE_VIEW;
    throw cannotSerialize(o);
  }

  @Override
  public byte[] toBinary(Object o) {
    return toProto(o).toByteArray();
  }

  private MessageLite toProto(Object o) {
    if (o instanceof Wavelet.StartInstance m) return startInstance(m);
    if (o instanceof Wavelet.StopInstance m) {
      return NodeProtos.StopInstance.newBuilder().setInstanceId(m.instanceId()).build();
    }
    if (o instanceof Wavelet.Invoke m) {
      NodeProtos.Invoke.Builder b = NodeProtos.Invoke.newBuilder()
          .setInstanceId(m.instanceId())
          .setInput(ByteString.copyFrom(m.input()))
          .setTimeoutMs(m.timeoutMs())
          .setColdStart(m.coldStart())
          .setReplyTo(ref(m.replyTo()))
          .setOwner(ref(m.owner()))
          .setInvocationId(m.invocationId())
          .setRequestId(m.requestId());
      if (m.inputRef() != null) {
        b.setInputRef(blobRef(m.inputRef()));
      }
      return b.build();
    }
    if (o instanceof Blobs.Fetch m) {
      return NodeProtos.BlobFetch.newBuilder()
          .setId(m.id())
          .setRequestId(m.requestId())
          .setRemove(m.remove())
          .setReplyTo(ref(m.replyTo()))
          .build();
    }
    if (o instanceof Blobs.Data m) {
      return NodeProtos.BlobData.newBuilder()
          .setRequestId(m.requestId())
          .setFound(m.found())
          .setData(ByteString.copyFrom(m.bytes()))
          .build();
    }
    if (o instanceof Wavelet.GetStatus m) {
      return NodeProtos.GetStatus.newBuilder().setReplyTo(ref(m.replyTo())).build();
    }
    if (o instanceof Wavelet.Reconcile m) {
      return NodeProtos.Reconcile.newBuilder().addAllAssignedRegular(m.assignedRegular()).build();
    }
    if (o instanceof Wavelet.Reserve m) {
      return NodeProtos.Reserve.newBuilder()
          .setInstanceId(m.instanceId())
          .setFunction(m.function())
          .setKind(kind(m.kind()))
          .setMemoryMb(m.memoryMb())
          .setConcurrency(m.concurrency())
          .setOwner(ref(m.owner()))
          .setWaitMs(m.waitMs())
          .setCallersWaiting(m.callersWaiting())
          .build();
    }
    if (o instanceof Wavelet.ReclaimDeclined m) {
      return NodeProtos.ReclaimDeclined.newBuilder().setInstanceId(m.instanceId()).build();
    }
    if (o instanceof Wavelet.RenewLeases m) {
      return NodeProtos.RenewLeases.newBuilder().addAllInstanceIds(m.instanceIds()).build();
    }
    if (o instanceof Wavelet.Reserved m) {
      return NodeProtos.Reserved.newBuilder()
          .setInstanceId(m.instanceId())
          .setNodeId(m.nodeId())
          .setWavelet(ref(m.wavelet()))
          .build();
    }
    if (o instanceof Wavelet.Reclaim m) {
      return NodeProtos.Reclaim.newBuilder()
          .setInstanceId(m.instanceId())
          .setNodeId(m.nodeId())
          .setWavelet(ref(m.wavelet()))
          .build();
    }
    if (o instanceof Wavelet.InstanceReady m) {
      return NodeProtos.InstanceReady.newBuilder()
          .setInstanceId(m.instanceId())
          .setKind(kind(m.kind()))
          .setNodeId(m.nodeId())
          .setWavelet(ref(m.wavelet()))
          .setStartMicros(m.startMicros())
          .build();
    }
    if (o instanceof Wavelet.InstanceFailed m) {
      return NodeProtos.InstanceFailed.newBuilder()
          .setInstanceId(m.instanceId())
          .setNodeId(m.nodeId())
          .setRefused(m.refused())
          .setReason(m.reason())
          .build();
    }
    if (o instanceof Wavelet.InvocationFinished m) {
      return NodeProtos.InvocationFinished.newBuilder()
          .setInstanceId(m.instanceId())
          .setInvocationId(m.invocationId())
          .setPeakMemoryBytes(m.peakMemoryBytes())
          .setStatus(m.status())
          .setMessage(m.message())
          .setDurationMicros(m.durationMicros())
          .setStderrTail(m.stderrTail())
          .build();
    }
    if (o instanceof Wavelet.NodeStatus m) return nodeStatus(m);
    if (o instanceof InvocationReply m) return invocationReply(m);
    if (o instanceof NodeEntity.Register m) {
      return NodeProtos.Register.newBuilder()
          .setMember(m.member())
          .setCapacityMb(m.capacityMb())
          .setWavelet(ref(m.wavelet()))
          .build();
    }
    if (o instanceof NodeEntity.Place m) {
      return NodeProtos.Place.newBuilder().setStart(startInstance(m.start())).build();
    }
    if (o instanceof NodeEntity.Release m) {
      return NodeProtos.Release.newBuilder().setInstanceId(m.instanceId()).build();
    }
    if (o instanceof NodeEntity.GetState m) {
      return NodeProtos.GetState.newBuilder().setReplyTo(ref(m.replyTo())).build();
    }
    if (o instanceof NodeEntity.PlacementChecked m) {
      return NodeProtos.PlacementChecked.newBuilder().setInstanceId(m.instanceId()).setWanted(m.wanted()).build();
    }
    if (o instanceof NodeEntity.NodeRegistered m) {
      return NodeProtos.NodeRegistered.newBuilder()
          .setMember(m.member())
          .setCapacityMb(m.capacityMb())
          .build();
    }
    if (o instanceof NodeEntity.InstancePlaced m) {
      return NodeProtos.InstancePlaced.newBuilder()
          .setInstanceId(m.instanceId())
          .setFunction(m.function())
          .setMemoryMb(m.memoryMb())
          .build();
    }
    if (o instanceof NodeEntity.InstanceReleased m) {
      return NodeProtos.InstanceReleased.newBuilder().setInstanceId(m.instanceId()).build();
    }
    if (o instanceof NodeEntity.State m) return nodeState(m);
    if (o instanceof NodeEntity.NodeView m) return nodeView(m);
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
      case START_INSTANCE:
        return startInstance(NodeProtos.StartInstance.parseFrom(bytes));
      case STOP_INSTANCE:
        return new Wavelet.StopInstance(NodeProtos.StopInstance.parseFrom(bytes).getInstanceId());
      case INVOKE:
        {
          NodeProtos.Invoke p = NodeProtos.Invoke.parseFrom(bytes);
          return new Wavelet.Invoke(
              p.getInstanceId(),
              p.getInvocationId(),
              p.getInput().toByteArray(),
              p.getTimeoutMs(),
              p.getColdStart(),
              resolve(p.getReplyTo()),
              resolve(p.getOwner()),
              p.hasInputRef() ? blobRef(p.getInputRef()) : null,
              p.getRequestId());
        }
      case BLOB_FETCH:
        {
          NodeProtos.BlobFetch p = NodeProtos.BlobFetch.parseFrom(bytes);
          return new Blobs.Fetch(p.getId(), p.getRequestId(), p.getRemove(), resolve(p.getReplyTo()));
        }
      case BLOB_DATA:
        {
          NodeProtos.BlobData p = NodeProtos.BlobData.parseFrom(bytes);
          return new Blobs.Data(p.getRequestId(), p.getFound(), p.getData().toByteArray());
        }
      case GET_STATUS:
        return new Wavelet.GetStatus(resolve(NodeProtos.GetStatus.parseFrom(bytes).getReplyTo()));
      case RECONCILE:
        return new Wavelet.Reconcile(
            Set.copyOf(NodeProtos.Reconcile.parseFrom(bytes).getAssignedRegularList()));
      case RESERVE:
        {
          NodeProtos.Reserve p = NodeProtos.Reserve.parseFrom(bytes);
          return new Wavelet.Reserve(
              p.getInstanceId(),
              p.getFunction(),
              kind(p.getKind()),
              p.getMemoryMb(),
              p.getConcurrency(),
              resolve(p.getOwner()),
              p.getWaitMs(),
              p.getCallersWaiting());
        }
      case RENEW_LEASES:
        return new Wavelet.RenewLeases(List.copyOf(NodeProtos.RenewLeases.parseFrom(bytes).getInstanceIdsList()));
      case RECLAIM_DECLINED:
        return new Wavelet.ReclaimDeclined(NodeProtos.ReclaimDeclined.parseFrom(bytes).getInstanceId());
      case RESERVED:
        {
          NodeProtos.Reserved p = NodeProtos.Reserved.parseFrom(bytes);
          return new Wavelet.Reserved(p.getInstanceId(), p.getNodeId(), resolve(p.getWavelet()));
        }
      case RECLAIM:
        {
          NodeProtos.Reclaim p = NodeProtos.Reclaim.parseFrom(bytes);
          return new Wavelet.Reclaim(p.getInstanceId(), p.getNodeId(), resolve(p.getWavelet()));
        }
      case INSTANCE_READY:
        {
          NodeProtos.InstanceReady p = NodeProtos.InstanceReady.parseFrom(bytes);
          return new Wavelet.InstanceReady(
              p.getInstanceId(),
              kind(p.getKind()),
              p.getNodeId(),
              resolve(p.getWavelet()),
              p.getStartMicros());
        }
      case INSTANCE_FAILED:
        {
          NodeProtos.InstanceFailed p = NodeProtos.InstanceFailed.parseFrom(bytes);
          return new Wavelet.InstanceFailed(
              p.getInstanceId(), p.getNodeId(), p.getRefused(), p.getReason());
        }
      case INVOCATION_FINISHED:
        {
          NodeProtos.InvocationFinished p = NodeProtos.InvocationFinished.parseFrom(bytes);
          return new Wavelet.InvocationFinished(p.getInstanceId(), p.getInvocationId(), p.getPeakMemoryBytes(),
              p.getStatus(), p.getMessage(), p.getDurationMicros(), p.getStderrTail());
        }
      case NODE_STATUS:
        return nodeStatus(NodeProtos.NodeStatus.parseFrom(bytes));
      case INVOCATION_REPLY:
        return invocationReply(NodeProtos.InvocationReply.parseFrom(bytes));
      case REGISTER:
        {
          NodeProtos.Register p = NodeProtos.Register.parseFrom(bytes);
          return new NodeEntity.Register(p.getMember(), p.getCapacityMb(), resolve(p.getWavelet()));
        }
      case PLACE:
        return new NodeEntity.Place(startInstance(NodeProtos.Place.parseFrom(bytes).getStart()));
      case RELEASE:
        return new NodeEntity.Release(NodeProtos.Release.parseFrom(bytes).getInstanceId());
      case PLACEMENT_CHECKED:
        {
          NodeProtos.PlacementChecked p = NodeProtos.PlacementChecked.parseFrom(bytes);
          return new NodeEntity.PlacementChecked(p.getInstanceId(), p.getWanted());
        }
      case GET_STATE:
        return new NodeEntity.GetState(resolve(NodeProtos.GetState.parseFrom(bytes).getReplyTo()));
      case NODE_REGISTERED:
        {
          NodeProtos.NodeRegistered p = NodeProtos.NodeRegistered.parseFrom(bytes);
          return new NodeEntity.NodeRegistered(p.getMember(), p.getCapacityMb());
        }
      case INSTANCE_PLACED:
        {
          NodeProtos.InstancePlaced p = NodeProtos.InstancePlaced.parseFrom(bytes);
          return new NodeEntity.InstancePlaced(p.getInstanceId(), p.getFunction(), p.getMemoryMb());
        }
      case INSTANCE_RELEASED:
        return new NodeEntity.InstanceReleased(
            NodeProtos.InstanceReleased.parseFrom(bytes).getInstanceId());
      case NODE_STATE:
        return nodeState(NodeProtos.NodeState.parseFrom(bytes));
      case NODE_VIEW:
        return nodeView(NodeProtos.NodeView.parseFrom(bytes));
      default:
        throw new NotSerializableException(
            "Unknown manifest [" + manifest + "] for " + getClass().getName());
    }
  }

  // ---------------------------------------------------------------- messages

  private NodeProtos.StartInstance startInstance(Wavelet.StartInstance m) {
    return NodeProtos.StartInstance.newBuilder()
        .setInstanceId(m.instanceId())
        .setFunction(m.function())
        .setVersion(m.version())
        .setKind(kind(m.kind()))
        .setCode(ByteString.copyFrom(m.module().inlineCode()))
        .setCodeSha256(m.module().sha256())
        .setCodeSize(m.module().sizeBytes())
        .setMemoryMb(m.memoryMb())
        .setConcurrency(m.concurrency())
        .putAllEnv(m.env())
        .setOwner(ref(m.owner()))
        .setWaitMs(m.waitMs())
        .setCallersWaiting(m.callersWaiting())
        .build();
  }

  private Wavelet.StartInstance startInstance(NodeProtos.StartInstance p) {
    return new Wavelet.StartInstance(
        p.getInstanceId(),
        p.getFunction(),
        p.getVersion(),
        kind(p.getKind()),
        module(p),
        p.getMemoryMb(),
        p.getConcurrency(),
        Map.copyOf(p.getEnvMap()),
        resolve(p.getOwner()),
        p.getWaitMs(),
        p.getCallersWaiting());
  }

  /**
   * The module of a StartInstance: by hash; or, from a member older than the module store (no
   * hash), the inline code.
   */
  private static ModuleRef module(NodeProtos.StartInstance p) {
    if (!p.getCodeSha256().isEmpty()) {
      return ModuleRef.stored(p.getCodeSha256(), p.getCodeSize());
    }
    return p.getCode().isEmpty() ? ModuleRef.NONE : ModuleRef.inline(p.getCode().toByteArray());
  }

  private static NodeProtos.NodeStatus nodeStatus(Wavelet.NodeStatus m) {
    NodeProtos.NodeStatus.Builder b =
        NodeProtos.NodeStatus.newBuilder()
            .setNodeId(m.nodeId())
            .setMember(m.member())
            .setCapacityMb(m.capacityMb())
            .setAllocatedMb(m.allocatedMb())
            .setInFlight(m.inFlight())
            .setDraining(m.draining())
            .setReclaimableMb(m.reclaimableMb())
            .setWaitingMb(m.waitingMb())
            .setTouchedMb(m.touchedMb())
            .setLinearMemoryInUseMb(m.linearMemoryInUseMb())
            .setModules(m.modules())
            .setModuleFetches(m.moduleFetches());
    for (Wavelet.InstanceInfo i : m.instances()) {
      b.addInstances(
          NodeProtos.InstanceInfo.newBuilder()
              .setInstanceId(i.instanceId())
              .setFunction(i.function())
              .setVersion(i.version())
              .setKind(kind(i.kind()))
              .setMemoryMb(i.memoryMb())
              .setInFlight(i.inFlight())
              .setReady(i.ready())
              .setIdleMs(i.idleMs())
              .setTouchedMb(i.touchedMb()));
    }
    return b.build();
  }

  private static Wavelet.NodeStatus nodeStatus(NodeProtos.NodeStatus p) {
    List<Wavelet.InstanceInfo> instances = new ArrayList<>(p.getInstancesCount());
    for (NodeProtos.InstanceInfo i : p.getInstancesList()) {
      instances.add(
          new Wavelet.InstanceInfo(
              i.getInstanceId(),
              i.getFunction(),
              i.getVersion(),
              kind(i.getKind()),
              i.getMemoryMb(),
              i.getInFlight(),
              i.getReady(),
              i.getIdleMs(),
              i.getTouchedMb()));
    }
    return new Wavelet.NodeStatus(
        p.getNodeId(),
        p.getMember(),
        p.getCapacityMb(),
        p.getAllocatedMb(),
        p.getInFlight(),
        List.copyOf(instances),
        p.getDraining(),
        p.getReclaimableMb(),
        p.getWaitingMb(),
        p.getTouchedMb(),
        p.getLinearMemoryInUseMb(),
        p.getModules(),
        p.getModuleFetches());
  }

  private NodeProtos.BlobRef blobRef(Blobs.Ref m) {
    return NodeProtos.BlobRef.newBuilder().setStore(ref(m.store())).setId(m.id()).setSize(m.size()).build();
  }

  private Blobs.Ref blobRef(NodeProtos.BlobRef p) {
    return new Blobs.Ref(resolve(p.getStore()), p.getId(), p.getSize());
  }

  private NodeProtos.InvocationReply invocationReply(InvocationReply m) {
    NodeProtos.InvocationReply.Builder b =
        NodeProtos.InvocationReply.newBuilder()
            .setStatus(status(m.status()))
            .setOutput(ByteString.copyFrom(m.output()))
            .setInstanceId(m.instanceId())
            .setColdStart(m.coldStart())
            .setDurationMicros(m.durationMicros())
            .setMessage(m.message())
            .setStderrTail(m.stderrTail());
    if (m.kind() != null) {
      b.setKind(kind(m.kind()));
    }
    if (m.outputRef() != null) {
      b.setOutputRef(blobRef(m.outputRef()));
    }
    if (m.execution() != null) {
      b.setExecution(
          m.execution() == io.wavelink.node.sandbox.ExecutionMode.COMPILED
              ? NodeProtos.InvocationReply.Execution.EXECUTION_COMPILED
              : NodeProtos.InvocationReply.Execution.EXECUTION_INTERPRETED);
    }
    return b.build();
  }

  private InvocationReply invocationReply(NodeProtos.InvocationReply p) {
    return new InvocationReply(
        status(p.getStatus()),
        p.getOutput().toByteArray(),
        p.getInstanceId(),
        p.hasKind() ? kind(p.getKind()) : null,
        p.getColdStart(),
        p.getDurationMicros(),
        p.getMessage(),
        p.getStderrTail(),
        p.hasOutputRef() ? blobRef(p.getOutputRef()) : null,
        switch (p.getExecution()) {
          case EXECUTION_COMPILED -> io.wavelink.node.sandbox.ExecutionMode.COMPILED;
          case EXECUTION_INTERPRETED -> io.wavelink.node.sandbox.ExecutionMode.INTERPRETED;
          default -> null;
        });
  }

  private static NodeProtos.Placement placement(NodeEntity.Placement m) {
    return NodeProtos.Placement.newBuilder()
        .setInstanceId(m.instanceId())
        .setFunction(m.function())
        .setMemoryMb(m.memoryMb())
        .build();
  }

  private static NodeEntity.Placement placement(NodeProtos.Placement p) {
    return new NodeEntity.Placement(p.getInstanceId(), p.getFunction(), p.getMemoryMb());
  }

  private static NodeProtos.NodeState nodeState(NodeEntity.State m) {
    NodeProtos.NodeState.Builder b =
        NodeProtos.NodeState.newBuilder().setMember(m.member()).setCapacityMb(m.capacityMb());
    m.placements().forEach((id, p) -> b.putPlacements(id, placement(p)));
    return b.build();
  }

  private static NodeEntity.State nodeState(NodeProtos.NodeState p) {
    Map<String, NodeEntity.Placement> placements = new HashMap<>();
    p.getPlacementsMap().forEach((id, pl) -> placements.put(id, placement(pl)));
    return new NodeEntity.State(p.getMember(), p.getCapacityMb(), Map.copyOf(placements));
  }

  private static NodeProtos.NodeView nodeView(NodeEntity.NodeView m) {
    NodeProtos.NodeView.Builder b =
        NodeProtos.NodeView.newBuilder()
            .setNodeId(m.nodeId())
            .setMember(m.member())
            .setCapacityMb(m.capacityMb())
            .setPlacedMb(m.placedMb())
            .setRegistered(m.registered());
    for (NodeEntity.Placement p : m.placements()) {
      b.addPlacements(placement(p));
    }
    if (m.lastSeen() != null) {
      b.setLastSeen(
          Timestamp.newBuilder()
              .setSeconds(m.lastSeen().getEpochSecond())
              .setNanos(m.lastSeen().getNano()));
    }
    return b.build();
  }

  private static NodeEntity.NodeView nodeView(NodeProtos.NodeView p) {
    List<NodeEntity.Placement> placements = new ArrayList<>(p.getPlacementsCount());
    for (NodeProtos.Placement pl : p.getPlacementsList()) {
      placements.add(placement(pl));
    }
    Instant lastSeen =
        p.hasLastSeen()
            ? Instant.ofEpochSecond(p.getLastSeen().getSeconds(), p.getLastSeen().getNanos())
            : null;
    return new NodeEntity.NodeView(
        p.getNodeId(),
        p.getMember(),
        p.getCapacityMb(),
        p.getPlacedMb(),
        List.copyOf(placements),
        p.getRegistered(),
        lastSeen);
  }

  // ---------------------------------------------------------------- enums (frozen mappings)

  private static NodeProtos.InstanceKind kind(InstanceKind kind) {
    switch (kind) {
      case REGULAR:
        return NodeProtos.InstanceKind.INSTANCE_KIND_REGULAR;
      case EMERGENCY:
        return NodeProtos.InstanceKind.INSTANCE_KIND_EMERGENCY;
      default:
        throw new IllegalArgumentException("Unknown instance kind " + kind);
    }
  }

  private static InstanceKind kind(NodeProtos.InstanceKind kind) {
    switch (kind) {
      case INSTANCE_KIND_REGULAR:
        return InstanceKind.REGULAR;
      case INSTANCE_KIND_EMERGENCY:
        return InstanceKind.EMERGENCY;
      default:
        throw new IllegalArgumentException("Unknown instance kind " + kind);
    }
  }

  private static NodeProtos.InvocationReply.Status status(InvocationReply.Status status) {
    switch (status) {
      case OK:
        return NodeProtos.InvocationReply.Status.STATUS_OK;
      case FUNCTION_ERROR:
        return NodeProtos.InvocationReply.Status.STATUS_FUNCTION_ERROR;
      case TIMEOUT:
        return NodeProtos.InvocationReply.Status.STATUS_TIMEOUT;
      case NOT_FOUND:
        return NodeProtos.InvocationReply.Status.STATUS_NOT_FOUND;
      case OVERLOADED:
        return NodeProtos.InvocationReply.Status.STATUS_OVERLOADED;
      case UNAVAILABLE:
        return NodeProtos.InvocationReply.Status.STATUS_UNAVAILABLE;
      case INSTANCE_LOST:
        return NodeProtos.InvocationReply.Status.STATUS_INSTANCE_LOST;
      case NO_CAPACITY:
        return NodeProtos.InvocationReply.Status.STATUS_NO_CAPACITY;
      default:
        throw new IllegalArgumentException("Unknown invocation status " + status);
    }
  }

  private static InvocationReply.Status status(NodeProtos.InvocationReply.Status status) {
    switch (status) {
      case STATUS_OK:
        return InvocationReply.Status.OK;
      case STATUS_FUNCTION_ERROR:
        return InvocationReply.Status.FUNCTION_ERROR;
      case STATUS_TIMEOUT:
        return InvocationReply.Status.TIMEOUT;
      case STATUS_NOT_FOUND:
        return InvocationReply.Status.NOT_FOUND;
      case STATUS_OVERLOADED:
        return InvocationReply.Status.OVERLOADED;
      case STATUS_UNAVAILABLE:
        return InvocationReply.Status.UNAVAILABLE;
      case STATUS_INSTANCE_LOST:
        return InvocationReply.Status.INSTANCE_LOST;
      case STATUS_NO_CAPACITY:
        return InvocationReply.Status.NO_CAPACITY;
      default:
        throw new IllegalArgumentException("Unknown invocation status " + status);
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
