package io.wavelink.function;

import io.wavelink.function.FunctionCatalog.Ack;
import io.wavelink.function.FunctionCatalog.Applied;
import io.wavelink.function.FunctionCatalog.Apply;
import io.wavelink.function.FunctionCatalog.Command;
import io.wavelink.function.FunctionCatalog.Register;
import io.wavelink.function.FunctionCatalog.Unregister;
import io.wavelink.function.FunctionCatalog.Written;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * The {@link FunctionCatalog} entity as the cluster sees it: the event-sourced catalog runs as its
 * child, and this actor groups the writes. An event-sourced behavior stashes every command while
 * one write is on its way to the journal, so one {@link Register} per journal write would make
 * the catalog the limit on how many deploys a cluster takes per second. Here, the {@link Register}s
 * and {@link Unregister}s that arrive while a write is on its way wait, in order, and go as one
 * {@link Apply} (up to {@code maxBatch} events in one atomic journal write) as soon as it is
 * recorded. Each is acknowledged once its batch is recorded, as before.
 *
 * <p>A batch the journal did not confirm within {@code writeTimeout} is not acknowledged: its
 * senders' asks time out, as they did when a single write failed, and the next batch goes on. Every
 * other command (listings) goes straight to the catalog, which answers it after the writes before it.
 */
final class CatalogWriter extends AbstractBehavior<Command> {

  /** events per journal write: one Cassandra batch in one partition, well within its size limits */
  static final int MAX_BATCH = 50;
  static final Duration WRITE_TIMEOUT = Duration.ofSeconds(10);

  static Behavior<Command> create(Behavior<Command> catalog, int maxBatch, Duration writeTimeout) {
    return Behaviors.setup(ctx -> new CatalogWriter(ctx, ctx.spawn(catalog, "store"), maxBatch, writeTimeout));
  }

  private final ActorRef<Command> catalog;
  private final int maxBatch;
  private final Duration writeTimeout;
  private final ArrayDeque<Command> waiting = new ArrayDeque<>();
  private boolean writing;

  private CatalogWriter(ActorContext<Command> context, ActorRef<Command> catalog, int maxBatch, Duration writeTimeout) {
    super(context);
    this.catalog = catalog;
    this.maxBatch = maxBatch;
    this.writeTimeout = writeTimeout;
    context.watch(catalog);
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Register.class, this::onChange)
        .onMessage(Unregister.class, this::onChange)
        .onMessage(Written.class, this::onWritten)
        .onMessage(Command.class, this::onOther)
        .build();
  }

  private Behavior<Command> onChange(Command change) {
    waiting.add(change);
    writeNext();
    return this;
  }

  private Behavior<Command> onOther(Command command) {
    catalog.tell(command);
    return this;
  }

  private void writeNext() {
    if (writing || waiting.isEmpty()) {
      return;
    }
    List<Command> batch = new ArrayList<>(Math.min(maxBatch, waiting.size()));
    while (batch.size() < maxBatch && !waiting.isEmpty()) {
      batch.add(waiting.poll());
    }
    writing = true;
    getContext().ask(
        Applied.class,
        catalog,
        writeTimeout,
        replyTo -> new Apply(batch, replyTo),
        (applied, error) -> new Written(batch, applied, error));
  }

  private Behavior<Command> onWritten(Written written) {
    writing = false;
    if (written.applied() != null) {
      for (Command change : written.batch()) {
        ActorRef<Ack> replyTo = change instanceof Register r ? r.replyTo() : ((Unregister) change).replyTo();
        replyTo.tell(Ack.INSTANCE);
      }
    } else {
      getContext().getLog().warn("The journal did not confirm {} catalog changes within {} ms: not acknowledged ({})",
          written.batch().size(), writeTimeout.toMillis(), written.error() == null ? "" : written.error().getMessage());
    }
    writeNext();
    return this;
  }
}
