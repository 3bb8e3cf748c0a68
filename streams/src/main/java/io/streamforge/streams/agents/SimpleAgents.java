package io.streamforge.streams.agents;

import io.streamforge.agents.architect.Design;
import io.streamforge.agents.architect.ModelArchitect;
import io.streamforge.agents.convert.ConversionCheck;
import io.streamforge.agents.task.TaskAnalyzer;
import io.streamforge.streams.agents.RequestResponseTopology.Route;
import io.streamforge.streams.support.Json;
import io.streamforge.streams.support.Messages;
import io.streamforge.streams.support.Payloads;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.Topology;

/**
 * The agents that answer one request with one response, each a {@link RequestResponseTopology}
 * around a function of the {@code agents} module.
 */
public final class SimpleAgents {
  private SimpleAgents() {}

  /** Largest ONNX-vs-trained difference the conversion check accepts (the trainers' tolerance). */
  public static final double PARITY_TOLERANCE = 1e-4;

  /** Task analysis: the request and the dataset manifest → requirements. */
  public static Topology taskAnalysis(TaskAnalyzer analyzer) {
    return RequestResponseTopology.build(
        Messages.TASK_ANALYSIS,
        Map.of(
            Payloads.ANALYZE,
            new Route(
                Payloads.REQUIREMENTS,
                json -> {
                  Payloads.AnalyzeRequest r = Json.read(json, Payloads.AnalyzeRequest.class);
                  return analyzer.analyze(r.request(), r.manifest());
                })));
  }

  /** The model architect: features, outputs, rows and constraints → the search space's summary. */
  public static Topology architect() {
    return RequestResponseTopology.build(
        Messages.ARCHITECT,
        Map.of(
            Payloads.DESIGN,
            new Route(
                Payloads.DESIGNED,
                json -> {
                  Payloads.DesignRequest r = Json.read(json, Payloads.DesignRequest.class);
                  Design d = design(r);
                  List<String> dims =
                      d.space().dimensions().stream().map(Object::toString).toList();
                  return new Payloads.Designed(d.maxParameters(), dims, d.notes());
                })));
  }

  /** The design for a request: the optimizer derives the same space from the same inputs. */
  public static Design design(Payloads.DesignRequest r) {
    return ModelArchitect.design(r.features(), r.outputs(), r.rows(), r.constraints());
  }

  /** Model conversion: the registered model's parity figures → pass or fail. */
  public static Topology conversion() {
    return RequestResponseTopology.build(
        Messages.CONVERSION,
        Map.of(
            Payloads.CONVERT,
            new Route(
                Payloads.CONVERTED,
                json -> {
                  Payloads.ConvertRequest r = Json.read(json, Payloads.ConvertRequest.class);
                  return ConversionCheck.judge(
                      r.metrics() == null ? Map.of() : r.metrics(), PARITY_TOLERANCE);
                })));
  }
}
