package io.streamforge.streams.agents;

import io.streamforge.agents.debug.Action;
import io.streamforge.agents.debug.DebugPolicy;
import io.streamforge.agents.debug.RunState;
import io.streamforge.agents.debug.Step;
import io.streamforge.agents.debug.TrainingDebugger;
import io.streamforge.agents.search.Pruner;
import io.streamforge.schemas.Topics;
import io.streamforge.schemas.records.ControlCommand;
import io.streamforge.schemas.records.MetricPoint;
import io.streamforge.streams.orchestrator.WorkflowMachine;
import io.streamforge.streams.support.Json;
import io.streamforge.streams.support.Messages;
import io.streamforge.streams.support.Out;
import io.streamforge.streams.support.Payloads;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The model-debugging agent, fed by the trainers' {@code metrics}: per run, NaN or infinite loss,
 * divergence and plateaus become {@code training.control} commands (lower the learning rate,
 * restore the last checkpoint, stop) by the rules of {@link TrainingDebugger}; and search trials
 * are pruned early (stopped) when their validation metric is worse than the median of the
 * workflow's other trials at the same epoch. Every action also goes to {@code agent.messages} as a
 * {@code debug-action} event with its reason.
 *
 * <p>Metrics are re-keyed by workflow so that all trials of a workflow meet in one task: the pruner
 * compares them.
 */
public final class DebuggerTopology {
  private static final Logger log = LoggerFactory.getLogger(DebuggerTopology.class);

  private DebuggerTopology() {}

  public static final String APP = "debugger";
  public static final String RUNS = "debugger-runs";
  public static final String CURVES = "debugger-curves";

  /** A workflow's trial curves: run → epoch → value (lower is better). */
  public static final class Curves {
    public Map<String, TreeMap<Long, Double>> runs = new TreeMap<>();
  }

  public static Topology build(DebugPolicy policy, Pruner pruner) {
    StreamsBuilder builder = new StreamsBuilder();
    builder.addStateStore(
        Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(RUNS), Serdes.String(), Json.serde(RunState.class)));
    builder.addStateStore(
        Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(CURVES), Serdes.String(), Json.serde(Curves.class)));
    KStream<String, Out> out =
        builder.stream(
                Topics.METRICS.name(),
                Consumed.with(Topics.METRICS.keySerde(), Topics.METRICS.valueSerde()))
            .filter((k, v) -> v != null && !v.isEmpty() && "trainer".equals(v.get(0).source()))
            .selectKey((k, v) -> WorkflowMachine.workflowOfRun(v.get(0).run()))
            .repartition(
                Repartitioned.<String, List<MetricPoint>>with(
                        Serdes.String(), Topics.METRICS.valueSerde())
                    .withName("debugger-by-workflow")
                    .withNumberOfPartitions(Topics.AGENT_MESSAGES.partitions()))
            .process(() -> new Debug(policy, pruner), RUNS, CURVES);
    Out.route(out);
    return builder.build();
  }

  static final class Debug implements Processor<String, List<MetricPoint>, String, Out> {
    private final TrainingDebugger debugger;
    private final Pruner pruner;
    private ProcessorContext<String, Out> context;
    private KeyValueStore<String, RunState> runs;
    private KeyValueStore<String, Curves> curves;

    Debug(DebugPolicy policy, Pruner pruner) {
      this.debugger = new TrainingDebugger(policy);
      this.pruner = pruner;
    }

    @Override
    public void init(ProcessorContext<String, Out> context) {
      this.context = context;
      this.runs = context.getStateStore(RUNS);
      this.curves = context.getStateStore(CURVES);
    }

    @Override
    public void process(Record<String, List<MetricPoint>> r) {
      long now = context.currentSystemTimeMs();
      String workflow = r.key();
      List<KeyValue<String, Out>> sends = new ArrayList<>();
      // the learning rate of a step comes in the same batch as its loss: know it first
      Map<String, Double> learningRates = new java.util.HashMap<>();
      // epoch metrics are stamped with the global step; the epoch number comes in the same batch
      Map<String, Long> epochs = new java.util.HashMap<>();
      for (MetricPoint p : r.value()) {
        if (p.name().equals("learning_rate")) {
          learningRates.put(p.run(), p.value());
        } else if (p.name().equals("epoch")) {
          epochs.put(p.run() + "@" + p.step(), (long) p.value());
        }
      }
      // each run's state is read once and written once per batch, not once per point
      Map<String, RunState> batch = new java.util.HashMap<>();
      for (MetricPoint p : r.value()) {
        RunState s = batch.containsKey(p.run()) ? batch.get(p.run()) : runs.get(p.run());
        if (s == null) {
          s = RunState.initial(p.run(), learningRates.getOrDefault(p.run(), Double.NaN));
        }
        if (s.stopped()) {
          continue;
        }
        String scope = p.labels() == null ? "" : p.labels().getOrDefault("scope", "");
        Step step = null;
        boolean pruned = false;
        if (p.name().equals("learning_rate")) {
          s = withLearningRate(s, p.value());
        } else if (scope.equals("step") && p.name().equals("loss")) {
          step = debugger.onStepLoss(s, p.step(), p.value());
        } else if (scope.equals("epoch") && isValidation(p.name())) {
          boolean higher = p.name().equals("val_accuracy");
          long epoch = epochs.getOrDefault(p.run() + "@" + p.step(), p.step());
          step = debugger.onEpoch(s, epoch, p.value(), higher);
          if (step.action().isEmpty() && p.run().contains(WorkflowMachine.TRIAL_INFIX)) {
            Action prune = prune(workflow, p, epoch, higher);
            if (prune != null) {
              step = new Step(stopped(step.state()), java.util.Optional.of(prune));
              pruned = true;
            }
          }
        }
        if (step != null) {
          s = step.state();
          if (step.action().isPresent()) {
            act(workflow, p, step.action().get(), pruned, now, sends);
          }
        }
        batch.put(p.run(), s);
      }
      batch.forEach(runs::put);
      for (KeyValue<String, Out> kv : sends) {
        context.forward(new Record<>(kv.key, kv.value, now));
      }
    }

    private static boolean isValidation(String name) {
      return name.equals("val_accuracy") || name.equals("val_rmse");
    }

    /** Records the trial's value and asks the pruner; an action when it should stop. */
    private Action prune(String workflow, MetricPoint p, long epoch, boolean higherIsBetter) {
      Curves c = curves.get(workflow);
      if (c == null) {
        c = new Curves();
      }
      double v = higherIsBetter ? -p.value() : p.value();
      c.runs.computeIfAbsent(p.run(), k -> new TreeMap<>()).put(epoch, v);
      curves.put(workflow, c);
      List<NavigableMap<Long, Double>> others = new ArrayList<>();
      c.runs.forEach(
          (run, curve) -> {
            if (!run.equals(p.run())) {
              others.add(curve);
            }
          });
      if (!pruner.shouldPrune(epoch, v, others)) {
        return null;
      }
      return new Action(
          ControlCommand.Action.STOP,
          null,
          String.format(
              java.util.Locale.ROOT,
              "pruned at epoch %d: %s %.4f is worse than the median of %d other trial(s) at the"
                  + " same epoch",
              epoch,
              p.name(),
              p.value(),
              others.size()));
    }

    private void act(
        String workflow,
        MetricPoint p,
        Action a,
        boolean pruned,
        long now,
        List<KeyValue<String, Out>> sends) {
      Instant at = Instant.ofEpochMilli(now);
      log.info(
          "run {}: {} {} ({})",
          p.run(),
          a.action(),
          a.value() == null ? "" : a.value(),
          a.reason());
      // a restore with a lowered rate is two commands: restore, then the rate
      for (ControlCommand c : a.commands(p.run(), Messages.DEBUGGER, at)) {
        sends.add(KeyValue.pair(p.run(), Out.control(c)));
      }
      sends.add(
          KeyValue.pair(
              workflow,
              Out.message(
                  Messages.event(
                      p.run() + "/debug/" + p.step() + "/" + a.action(),
                      workflow,
                      Messages.DEBUGGER,
                      Payloads.DEBUG_ACTION,
                      new Payloads.DebugAction(
                          p.run(), a.action().name(), a.value(), a.reason(), p.step(), pruned),
                      at))));
    }
  }

  static RunState withLearningRate(RunState s, double lr) {
    return new RunState(
        s.run(),
        s.recentLoss(),
        s.bestLoss(),
        s.bestVal(),
        s.lastStep(),
        s.epochsSinceBest(),
        s.lrReductions(),
        s.restores(),
        lr,
        s.stopped());
  }

  static RunState stopped(RunState s) {
    return new RunState(
        s.run(),
        s.recentLoss(),
        s.bestLoss(),
        s.bestVal(),
        s.lastStep(),
        s.epochsSinceBest(),
        s.lrReductions(),
        s.restores(),
        s.learningRate(),
        true);
  }
}
