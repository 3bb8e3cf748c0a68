package io.streamforge.streams.agents;

import io.streamforge.schemas.Topics;
import io.streamforge.schemas.records.AgentMessage;
import io.streamforge.streams.support.Messages;
import io.streamforge.streams.support.Out;
import io.streamforge.streams.support.SeenIds;
import java.time.Instant;
import java.util.Map;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * An agent that answers each request addressed to it on {@code agent.messages} with one response:
 * task analysis, the architect, model conversion, ensembling. The answer is computed by a plain
 * function from the {@code agents} module; requests are deduplicated by message id.
 *
 * <p>A handler that throws {@link IllegalArgumentException} (or {@link AgentFailure} with {@code
 * transientFailure=false}) answers a permanent error naming the reason; any other exception answers
 * a transient one, which the orchestrator retries with backoff.
 */
public final class RequestResponseTopology {
  private static final Logger log = LoggerFactory.getLogger(RequestResponseTopology.class);

  private RequestResponseTopology() {}

  /** Computes the answer to one request's JSON payload. */
  @FunctionalInterface
  public interface Handler {
    Object handle(String payload);
  }

  /**
   * One request type the agent answers.
   *
   * @param responseType the payload type of the answer
   */
  public record Route(String responseType, Handler handler) {}

  /** An agent's failure that says whether asking again may help. */
  public static final class AgentFailure extends RuntimeException {
    private final boolean transientFailure;

    public AgentFailure(String message, boolean transientFailure) {
      super(message);
      this.transientFailure = transientFailure;
    }

    public boolean transientFailure() {
      return transientFailure;
    }
  }

  /**
   * @param agent the agent's name: the {@code target} it answers to
   * @param routes per request payload type, how to answer
   */
  public static Topology build(String agent, Map<String, Route> routes) {
    StreamsBuilder builder = new StreamsBuilder();
    String seenStore = agent + "-seen";
    builder.addStateStore(SeenIds.store(seenStore));
    KStream<String, Out> out =
        builder.stream(
                Topics.AGENT_MESSAGES.name(),
                Consumed.with(Topics.AGENT_MESSAGES.keySerde(), Topics.AGENT_MESSAGES.valueSerde()))
            .filter(
                (k, m) ->
                    m != null
                        && agent.equals(m.target())
                        && m.type() == AgentMessage.MessageType.REQUEST)
            .process(() -> new Answer(agent, routes, seenStore), seenStore);
    Out.route(out);
    return builder.build();
  }

  static final class Answer implements Processor<String, AgentMessage, String, Out> {
    private final String agent;
    private final Map<String, Route> routes;
    private final String seenStore;
    private ProcessorContext<String, Out> context;
    private SeenIds seen;

    Answer(String agent, Map<String, Route> routes, String seenStore) {
      this.agent = agent;
      this.routes = routes;
      this.seenStore = seenStore;
    }

    @Override
    public void init(ProcessorContext<String, Out> context) {
      this.context = context;
      this.seen = new SeenIds(context.getStateStore(seenStore));
      seen.schedulePurge(context);
    }

    @Override
    public void process(Record<String, AgentMessage> r) {
      AgentMessage m = r.value();
      long nowMs = context.currentSystemTimeMs();
      if (!seen.firstTime(m.id(), nowMs)) {
        log.debug("{}: duplicate request {} ignored", agent, m.id());
        return;
      }
      Instant now = Instant.ofEpochMilli(nowMs);
      AgentMessage answer;
      MDC.put("workflow", m.workflowId());
      try {
        Route route = routes.get(m.payloadType());
        if (route == null) {
          answer =
              Messages.error(
                  m,
                  agent,
                  agent
                      + " does not handle '"
                      + m.payloadType()
                      + "' (it handles "
                      + routes.keySet()
                      + ")",
                  false,
                  now);
        } else {
          Object result = route.handler().handle(m.payload());
          answer = Messages.response(m, agent, route.responseType(), result, now);
          log.info("{}: answered {} for workflow {}", agent, m.payloadType(), m.workflowId());
        }
      } catch (AgentFailure e) {
        log.warn("{}: {} failed: {}", agent, m.payloadType(), e.getMessage());
        answer = Messages.error(m, agent, e.getMessage(), e.transientFailure(), now);
      } catch (IllegalArgumentException | IllegalStateException e) {
        log.warn("{}: {} refused: {}", agent, m.payloadType(), e.getMessage());
        answer = Messages.error(m, agent, e.getMessage(), false, now);
      } catch (RuntimeException e) {
        log.error("{}: {} failed", agent, m.payloadType(), e);
        answer = Messages.error(m, agent, e.toString(), true, now);
      } finally {
        MDC.remove("workflow");
      }
      context.forward(new Record<>(r.key(), Out.message(answer), nowMs));
    }
  }
}
