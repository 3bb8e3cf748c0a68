package io.streamforge.serving.kafka;

import io.streamforge.schemas.Topics;
import io.streamforge.schemas.records.Deployment;
import io.streamforge.serving.EdgeException;
import io.streamforge.serving.http.Rollouts;
import io.streamforge.serving.model.ModelRepository;
import io.streamforge.serving.model.RoutePlan;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * The admin API's rollouts: each request becomes a new {@code deployments} record for the model,
 * derived from its current one; every edge (this one included) applies it when it reads it.
 *
 * <p>Actions: {@code set-weight} ({@code weight}, optional {@code canary_version}), {@code shadow}
 * ({@code canary_version}, optional {@code weight}, default 100), {@code split} (back from shadow),
 * {@code promote} (the canary becomes stable), {@code rollback} (the canary is dropped). Optional
 * {@code sticky_header} (empty string to clear) and {@code reason}.
 *
 * <p>Variants: {@code variant} sets the stable version's variant (e.g. {@code int8-static}; null or
 * absent keeps it), {@code canary_variant} the canary's. A {@code canary_version} without {@code
 * canary_variant} means the base variant; a {@code canary_variant} without {@code canary_version}
 * applies to the current canary or, without one, to the stable version (an int8 canary of the
 * version being served). Promote carries the canary's variant over; rollback drops it.
 */
public final class KafkaRollouts implements Rollouts {
  private final ModelManager manager;
  private final ModelRepository repository;
  private final Producer<String, byte[]> producer;

  public KafkaRollouts(
      ModelManager manager, ModelRepository repository, Producer<String, byte[]> producer) {
    this.manager = manager;
    this.repository = repository;
    this.producer = producer;
  }

  @Override
  public JsonObject rollout(String model, JsonObject request) {
    Deployment current = manager.deployment(model).orElse(null);
    Integer stable = current == null ? null : current.stableVersion();
    Integer canary = current == null ? null : current.canaryVersion();
    double weight = current == null ? 0 : current.canaryWeight();
    Deployment.Mode mode = current == null ? Deployment.Mode.SPLIT : current.mode();
    String sticky = current == null ? null : current.stickyHeader();
    String stableVariant = current == null ? null : current.stableVariant();
    String canaryVariant = current == null ? null : current.canaryVariant();
    if (stable == null) {
      stable = servedStable(model);
      stableVariant = servedStableVariant(model);
    }
    String action = string(request, "action");
    if (action == null) {
      throw EdgeException.badRequest(
          "'action' is required: set-weight, shadow, split, promote or rollback");
    }
    Integer requestedCanary = integer(request, "canary_version");
    String requestedCanaryVariant = string(request, "canary_variant");
    if (request.containsKey("variant")) {
      stableVariant = blankToNull(string(request, "variant"));
    }
    switch (action) {
      case "set-weight", "shadow" -> {
        if (requestedCanary != null) {
          canary = requestedCanary;
          canaryVariant = blankToNull(requestedCanaryVariant);
        } else if (requestedCanaryVariant != null) {
          canary = canary != null ? canary : stable;
          canaryVariant = blankToNull(requestedCanaryVariant);
        }
        if (canary == null) {
          throw EdgeException.badRequest(
              "'canary_version' is required: " + model + " has no canary");
        }
        Double w = number(request, "weight");
        if (w == null && action.equals("set-weight")) {
          throw EdgeException.badRequest("'weight' is required (0 to 100)");
        }
        weight = w == null ? 100 : w;
        if (!(weight >= 0 && weight <= 100)) {
          throw EdgeException.badRequest("'weight' must be within 0..100");
        }
        if (action.equals("shadow")) {
          mode = Deployment.Mode.SHADOW;
        }
      }
      case "split" -> mode = Deployment.Mode.SPLIT;
      case "promote" -> {
        if (canary == null) {
          throw EdgeException.badRequest(model + " has no canary to promote");
        }
        stable = canary;
        stableVariant = canaryVariant;
        canary = null;
        canaryVariant = null;
        weight = 0;
        mode = Deployment.Mode.SPLIT;
      }
      case "rollback" -> {
        if (canary == null) {
          throw EdgeException.badRequest(model + " has no canary to roll back");
        }
        canary = null;
        canaryVariant = null;
        weight = 0;
        mode = Deployment.Mode.SPLIT;
      }
      default ->
          throw EdgeException.badRequest(
              "unknown action '" + action + "': set-weight, shadow, split, promote or rollback");
    }
    if (canary != null
        && (current == null
            || !canary.equals(current.canaryVersion())
            || !java.util.Objects.equals(canaryVariant, current.canaryVariant()))) {
      requireRegistered(model, canary, canaryVariant);
    }
    if (stable != null
        && request.containsKey("variant")
        && (current == null
            || !stable.equals(current.stableVersion())
            || !java.util.Objects.equals(stableVariant, current.stableVariant()))) {
      requireRegistered(model, stable, stableVariant);
    }
    if (request.containsKey("sticky_header")) {
      String s = string(request, "sticky_header");
      sticky = s == null || s.isBlank() ? null : s;
    }
    if (stable == null) {
      throw EdgeException.notFound("model '" + model + "' has no stable version to roll out from");
    }
    String reason = string(request, "reason");
    Deployment next =
        new Deployment(
            model,
            stable,
            canary,
            weight,
            mode,
            sticky,
            action,
            reason == null ? "admin API" : reason,
            Instant.now(),
            stableVariant,
            canary == null ? null : canaryVariant);
    String topic = Topics.DEPLOYMENTS.name();
    try {
      producer
          .send(
              new ProducerRecord<>(
                  topic,
                  model,
                  Topics.DEPLOYMENTS.valueSerde().serializer().serialize(topic, next)))
          .get(15, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw EdgeException.unavailable("interrupted while writing the deployment");
    } catch (ExecutionException | TimeoutException e) {
      throw EdgeException.unavailable("cannot write the deployment: " + e.getMessage());
    }
    return new JsonObject()
        .put("model", model)
        .put("stable_version", stable)
        .put("canary_version", canary)
        .put("canary_weight", weight)
        .put("mode", mode.name())
        .put("sticky_header", sticky)
        .put("decision", action)
        .put("reason", next.reason())
        .put("stable_variant", variantName(next.stableVariant()))
        .put(
            "canary_variant",
            next.canaryVersion() == null ? null : variantName(next.canaryVariant()));
  }

  private void requireRegistered(String model, int version, String variant) {
    if (manager.event(model, version, variant).isEmpty()) {
      throw EdgeException.notFound(
          "model '"
              + model
              + "' has no registered version "
              + version
              + (variant == null ? "" : " of variant '" + variant + "'"));
    }
  }

  /** The variant a deployment's null means here: the repository's base variant. */
  private String variantName(String variant) {
    return variant == null ? repository.baseVariant() : variant;
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s;
  }

  /** The stable variant this edge serves when the model has no deployment record yet. */
  private String servedStableVariant(String model) {
    return repository
        .served(model)
        .map(ModelRepository.Served::plan)
        .map(RoutePlan::stableVariant)
        .orElse(null);
  }

  /** The stable version this edge serves when the model has no deployment record yet. */
  private Integer servedStable(String model) {
    return repository
        .served(model)
        .map(ModelRepository.Served::plan)
        .map(RoutePlan::stable)
        .orElse(null);
  }

  private static String string(JsonObject o, String key) {
    Object v = o.getValue(key);
    if (v != null && !(v instanceof String)) {
      throw EdgeException.badRequest("'" + key + "' must be a string");
    }
    return (String) v;
  }

  private static Integer integer(JsonObject o, String key) {
    Object v = o.getValue(key);
    if (v == null) {
      return null;
    }
    if (!(v instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())) {
      throw EdgeException.badRequest("'" + key + "' must be an integer");
    }
    return n.intValue();
  }

  private static Double number(JsonObject o, String key) {
    Object v = o.getValue(key);
    if (v == null) {
      return null;
    }
    if (!(v instanceof Number n)) {
      throw EdgeException.badRequest("'" + key + "' must be a number");
    }
    return n.doubleValue();
  }
}
