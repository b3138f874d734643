package io.wavelink.function;

import io.wavelink.function.FunctionProtocol.Command;
import io.wavelink.function.FunctionProtocol.Delete;
import io.wavelink.function.FunctionProtocol.DeleteReply;
import io.wavelink.function.FunctionProtocol.Deploy;
import io.wavelink.function.FunctionProtocol.DeployRejected;
import io.wavelink.function.FunctionProtocol.DeployReply;
import io.wavelink.function.FunctionProtocol.Deployed;
import io.wavelink.function.internal.Definition;
import io.wavelink.function.internal.Outbox;
import java.util.HashMap;
import java.util.Map;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * A {@link FunctionEntity}'s deploys and deletes: each is written to the journal by the entity's
 * {@link FunctionStore}, and a deploy is answered once the {@link FunctionCatalog} lists the
 * function too. A write the journal did not confirm in time is settled by reading the journal again:
 * whatever it holds is what the function becomes ({@link #journalRead}), which is also how the
 * entity's regular instances are reconciled with the journal's (anti-entropy).
 *
 * <p>Runs on the entity's thread; what a deploy or delete changes in the entity goes through
 * {@link Target}.
 */
final class FunctionDeploys {

  /** What a deploy, a delete or the journal changes in the entity. */
  interface Target {
    /** The deployed definition, null if none. */
    Definition definition();

    /** A new version: instances of the previous one drain, new ones come with the new spec. */
    void adopt(FunctionSpec spec, long version);

    /** The function is deleted: its instances stop, its waiting invocations are answered 404. */
    void deleted();

    /** A function that is neither deployed nor owns anything may leave its shard. */
    void passivateIfGone();

    /** Forgets the regular instances the journal no longer records; how many. */
    int reconcileRegular(Map<String, String> journaledNodeByInstance);
  }

  record StoreDeployed(Deploy deploy, FunctionStore.DeployResult result, Throwable error)
      implements Command, NoSerializationVerificationNeeded {}

  record StoreDeleted(Delete delete, FunctionStore.DeleteResult result, Throwable error)
      implements Command, NoSerializationVerificationNeeded {}

  record CatalogAcked(ActorRef<DeployReply> replyTo, Deployed deployed, boolean ok)
      implements Command, NoSerializationVerificationNeeded {}

  private final String name;
  private final ActorContext<Command> context;
  private final ActorRef<FunctionStore.Command> store;
  private final FunctionSettings settings;
  /** null in tests without a cluster */
  private final ClusterSharding sharding;
  private final Outbox outbox;
  private final Target target;
  /** deploys and deletes not answered yet: the entity does not stop before they are */
  private int inProgress;

  FunctionDeploys(String name, ActorContext<Command> context, ActorRef<FunctionStore.Command> store,
      FunctionSettings settings, ClusterSharding sharding, Outbox outbox, Target target) {
    this.name = name;
    this.context = context;
    this.store = store;
    this.settings = settings;
    this.sharding = sharding;
    this.outbox = outbox;
    this.target = target;
  }

  /** Deploys and deletes not answered yet. */
  int inProgress() {
    return inProgress;
  }

  void deploy(Deploy deploy) {
    if (!deploy.spec().name().equals(name)) {
      deploy.replyTo().tell(new DeployRejected(DeployRejected.Reason.INVALID, "spec name does not match " + name));
      return;
    }
    inProgress++;
    context.ask(
        FunctionStore.DeployResult.class,
        store,
        settings.storeTimeout(),
        replyTo -> new FunctionStore.Deploy(deploy.spec(), deploy.expectedVersion(), replyTo),
        (result, error) -> new StoreDeployed(deploy, result, error));
  }

  void storeDeployed(StoreDeployed msg) {
    ActorRef<DeployReply> replyTo = msg.deploy().replyTo();
    if (!(msg.result() instanceof FunctionStore.Deployed)) {
      inProgress--; // answered now; a deployed one is answered once the catalog confirms
    }
    if (msg.error() != null) {
      replyTo.tell(
          new DeployRejected(
              DeployRejected.Reason.UNAVAILABLE,
              "the journal did not confirm the deploy within " + settings.storeTimeout().toMillis()
                  + " ms; it may still be applied: GET the function to see its version"));
      outbox.readJournal(); // whatever the journal holds is what this function becomes
      return;
    }
    if (msg.result() instanceof FunctionStore.DeployConflict conflict) {
      replyTo.tell(new DeployRejected(DeployRejected.Reason.CONFLICT, conflict.message()));
      return;
    }
    FunctionStore.Deployed deployed = (FunctionStore.Deployed) msg.result();
    target.adopt(msg.deploy().spec(), deployed.version());
    Deployed reply = new Deployed(deployed.version(), deployed.created());
    context.ask(
        FunctionCatalog.Ack.class,
        FunctionCatalog.ref(sharding),
        settings.storeTimeout(),
        ack -> new FunctionCatalog.Register(name, msg.deploy().spec().minScale() == 0, ack),
        (ack, error) -> new CatalogAcked(replyTo, reply, error == null));
  }

  /** The deploy is answered once the catalog lists the function too. */
  void catalogAcked(CatalogAcked acked) {
    inProgress--;
    if (!acked.ok()) {
      context.getLog().warn("Catalog did not confirm function {}; it is deployed but may be missing from listings until redeployed", name);
    }
    acked.replyTo().tell(acked.deployed());
  }

  void delete(Delete delete) {
    inProgress++;
    context.ask(
        FunctionStore.DeleteResult.class,
        store,
        settings.storeTimeout(),
        FunctionStore.Delete::new,
        (result, error) -> new StoreDeleted(delete, result, error));
  }

  void storeDeleted(StoreDeleted msg) {
    inProgress--;
    if (msg.error() != null) {
      msg.delete().replyTo().tell(new DeleteReply(false, true, "the journal did not confirm the delete; retry"));
      outbox.readJournal(); // whatever the journal holds is what this function becomes
      return;
    }
    if (!msg.result().found()) {
      msg.delete().replyTo().tell(new DeleteReply(false, false, "function " + name + " is not deployed"));
      return;
    }
    target.deleted();
    msg.delete().replyTo().tell(new DeleteReply(true, false, "deleted"));
    target.passivateIfGone();
  }

  /**
   * The journal's state, read again. A deploy or delete whose write was not confirmed in time is
   * settled by what the journal holds (the function takes the journal's version, or is gone); then
   * the regular instances are reconciled with the journal's desired ones (anti-entropy).
   */
  void journalRead(FunctionStore.State state) {
    if (state == null) {
      return; // not answering: the next tick asks again (the track stays unsettled)
    }
    Definition def = target.definition();
    if (state.exists() && (def == null || def.version() != state.version())) {
      context.getLog().info("Function {}: the journal holds version {}; taking it", name, state.version());
      target.adopt(state.spec().get(), state.version());
      FunctionCatalog.ref(sharding)
          .tell(new FunctionCatalog.Register(name, state.spec().get().minScale() == 0, context.getSystem().ignoreRef()));
    } else if (!state.exists() && def != null) {
      context.getLog().info("Function {}: the journal holds it deleted; deleting it here too", name);
      target.deleted();
    }
    Map<String, String> journaled = new HashMap<>();
    state.regular().values().forEach(r -> journaled.put(r.instanceId(), r.nodeId()));
    int removed = target.reconcileRegular(journaled);
    if (removed > 0) {
      context.getLog().info("Function {}: {} regular instances the journal still kept are removed from it", name, removed);
    }
  }
}
