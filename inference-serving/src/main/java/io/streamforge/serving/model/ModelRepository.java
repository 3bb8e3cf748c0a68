package io.streamforge.serving.model;

import io.streamforge.serving.EdgeException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The model versions this edge holds and how each model's traffic is routed.
 *
 * <p>Readers see an immutable {@link Served} snapshot per model; writers build a new one and
 * replace it, so a swap is atomic: a request routes with the old snapshot or the new one, never a
 * mix. Sessions that the new snapshot no longer holds are retired and close once their in-flight
 * requests have released them.
 *
 * <p>A model may hold several variants of one version (fp32 and its quantized variants); a route
 * names version and variant, and a plan that names no variant means the repository's base variant
 * (the edge's {@code --variant}, {@code fp32} by default).
 */
public final class ModelRepository {
  private static final Logger log = LoggerFactory.getLogger(ModelRepository.class);

  /**
   * What one model serves: its loaded versions and variants, and the route over them (null: no
   * traffic yet; variants written out).
   */
  public record Served(Map<ModelId, ModelSession> loaded, RoutePlan plan) {
    public Served {
      Map<ModelId, ModelSession> sorted = new TreeMap<>(ORDER);
      sorted.putAll(loaded);
      loaded = Collections.unmodifiableMap(sorted);
    }

    /** Whether any variant of {@code version} is loaded. */
    public boolean hasVersion(int version) {
      return loaded.keySet().stream().anyMatch(id -> id.version() == version);
    }

    /** The loaded versions, ascending. */
    public java.util.SortedSet<Integer> versions() {
      java.util.SortedSet<Integer> out = new java.util.TreeSet<>();
      loaded.keySet().forEach(id -> out.add(id.version()));
      return out;
    }

    /** The session of one version and variant, or null. */
    public ModelSession session(int version, String variant) {
      for (var e : loaded.entrySet()) {
        if (e.getKey().version() == version && e.getKey().variant().equals(variant)) {
          return e.getValue();
        }
      }
      return null;
    }

    /**
     * The session a versioned request for {@code version} gets: the variant the route gives that
     * version (stable first, then canary), else the base variant, else any loaded variant; null
     * when the version is not loaded.
     */
    public ModelSession forVersion(int version, String base) {
      if (plan != null && plan.stable() == version) {
        ModelSession s =
            session(version, plan.stableVariant() == null ? base : plan.stableVariant());
        if (s != null) {
          return s;
        }
      }
      if (plan != null && plan.canary() != null && plan.canary() == version) {
        ModelSession s =
            session(version, plan.canaryVariant() == null ? base : plan.canaryVariant());
        if (s != null) {
          return s;
        }
      }
      ModelSession s = session(version, base);
      if (s != null) {
        return s;
      }
      for (var e : loaded.entrySet()) {
        if (e.getKey().version() == version) {
          return e.getValue();
        }
      }
      return null;
    }
  }

  private static final java.util.Comparator<ModelId> ORDER =
      java.util.Comparator.comparingInt(ModelId::version).thenComparing(ModelId::variant);

  /** A version's state, for the repository index. */
  public record VersionState(
      String model, int version, String variant, String state, String reason) {}

  /**
   * Sessions acquired for one request: the one that answers and, in shadow mode, the canary that
   * gets a copy. Close it to release both.
   */
  public record Lease(ModelSession primary, ModelSession shadow) implements AutoCloseable {
    @Override
    public void close() {
      primary.release();
      if (shadow != null) {
        shadow.release();
      }
    }
  }

  private final ConcurrentHashMap<String, Served> models = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, VersionState> states = new ConcurrentHashMap<>();
  private final String baseVariant;

  /**
   * How many unavailable versions (unloaded or failed) of a model the index keeps: the newest ones.
   * Without a bound it would grow with every version an edge ever served.
   */
  public static final int UNAVAILABLE_KEPT = 32;

  /** A repository whose base variant is {@code fp32}. */
  public ModelRepository() {
    this("fp32");
  }

  /**
   * @param baseVariant the variant a route means when it names none
   */
  public ModelRepository(String baseVariant) {
    this.baseVariant = java.util.Objects.requireNonNull(baseVariant, "baseVariant");
  }

  /** The variant a route means when it names none. */
  public String baseVariant() {
    return baseVariant;
  }

  /** The model names, sorted. */
  public List<String> models() {
    return models.keySet().stream().sorted().toList();
  }

  public Optional<Served> served(String model) {
    return Optional.ofNullable(models.get(model));
  }

  /** Whether a session of this version and variant is loaded now. */
  public boolean holds(ModelId id) {
    Served s = models.get(id.model());
    return s != null && s.loaded().containsKey(id);
  }

  /** States of all versions this edge knows of, by model and version. */
  public List<VersionState> index() {
    List<VersionState> out = new ArrayList<>(states.values());
    out.sort(
        java.util.Comparator.comparing(VersionState::model)
            .thenComparingInt(VersionState::version)
            .thenComparing(VersionState::variant));
    return out;
  }

  /** Records a version being loaded (for the index). */
  public void loading(ModelId id) {
    states.put(
        stateKey(id), new VersionState(id.model(), id.version(), id.variant(), "LOADING", ""));
  }

  /** Records a version that could not be loaded (for the index). */
  public void failed(ModelId id, String reason) {
    unavailable(id, reason);
  }

  private synchronized void unavailable(ModelId id, String reason) {
    states.put(
        stateKey(id),
        new VersionState(id.model(), id.version(), id.variant(), "UNAVAILABLE", reason));
    List<VersionState> newestFirst =
        states.values().stream()
            .filter(v -> v.model().equals(id.model()) && v.state().equals("UNAVAILABLE"))
            .sorted(
                java.util.Comparator.comparingInt(VersionState::version)
                    .reversed()
                    .thenComparing(VersionState::variant))
            .toList();
    for (VersionState v :
        newestFirst.subList(Math.min(UNAVAILABLE_KEPT, newestFirst.size()), newestFirst.size())) {
      states.remove(stateKey(new ModelId(v.model(), v.version(), v.variant())));
    }
  }

  private static String stateKey(ModelId id) {
    return id.toString();
  }

  /**
   * Adds a loaded version and variant (replacing and retiring an earlier session of the same one)
   * and applies {@code route} to decide the model's route. Other loaded versions stay loaded;
   * {@link #route} unloads them.
   *
   * @param route the new plan from the current one (null when the model had none)
   */
  public synchronized void install(ModelSession session, UnaryOperator<RoutePlan> route) {
    String model = session.id().model();
    Served current = models.get(model);
    Map<ModelId, ModelSession> loaded =
        new HashMap<>(current == null ? Map.of() : current.loaded());
    ModelSession replaced = loaded.put(session.id(), session);
    RoutePlan plan = route.apply(current == null ? null : current.plan());
    publish(model, loaded, plan, replaced);
    states.put(
        stateKey(session.id()),
        new VersionState(model, session.id().version(), session.id().variant(), "READY", ""));
  }

  /**
   * Changes a model's route; every version and variant it names must be loaded. Sessions that
   * neither the new route nor {@code keep} (versions, every variant of them) names are retired.
   *
   * @throws IllegalArgumentException when the plan names a version or variant that is not loaded
   */
  public synchronized void route(String model, RoutePlan plan, Set<Integer> keep) {
    Served current = models.get(model);
    Map<ModelId, ModelSession> loaded =
        new HashMap<>(current == null ? Map.of() : current.loaded());
    Set<ModelId> routed = plan.ids(model, baseVariant);
    for (ModelId id : routed) {
      if (!loaded.containsKey(id)) {
        throw new IllegalArgumentException(id + " is not loaded");
      }
    }
    List<ModelSession> dropped = new ArrayList<>();
    for (var it = loaded.entrySet().iterator(); it.hasNext(); ) {
      var e = it.next();
      if (!routed.contains(e.getKey()) && !keep.contains(e.getKey().version())) {
        dropped.add(e.getValue());
        it.remove();
      }
    }
    publish(model, loaded, plan, null);
    for (ModelSession s : dropped) {
      unavailable(s.id(), "unloaded");
      s.retire();
    }
  }

  private void publish(
      String model, Map<ModelId, ModelSession> loaded, RoutePlan plan, ModelSession replaced) {
    RoutePlan p = plan == null ? null : plan.withBase(baseVariant);
    if (p != null) {
      for (ModelId id : p.ids(model, baseVariant)) {
        if (!loaded.containsKey(id)) {
          throw new IllegalArgumentException(id + " is not loaded");
        }
      }
    }
    Served before = models.put(model, new Served(loaded, p));
    log.info(
        "{}: serving {} (loaded {})",
        model,
        p == null ? "nothing yet" : p,
        loaded.keySet().stream()
            .sorted(ORDER)
            .map(id -> id.version() + ":" + id.variant())
            .toList());
    if (replaced != null) {
      replaced.retire();
    }
    if (before == null) {
      return;
    }
    Set<ModelSession> still = new HashSet<>(loaded.values());
    for (ModelSession s : before.loaded().values()) {
      if (!still.contains(s) && s != replaced) {
        s.retire();
      }
    }
  }

  /**
   * Acquires the sessions that serve one request.
   *
   * @param version an explicit version (versioned routes), or null to follow the route
   * @param stickyHeaders looks up a request header by name (for sticky routing)
   * @throws EdgeException 404 for an unknown model or version, 503 when the model has no route yet
   */
  public Lease acquire(
      String model, Integer version, java.util.function.Function<String, String> stickyHeaders) {
    for (int attempt = 0; attempt < 1000; attempt++) {
      Served s = models.get(model);
      if (s == null) {
        throw EdgeException.notFound("unknown model '" + model + "'");
      }
      ModelSession primary;
      ModelSession shadow = null;
      if (version != null) {
        primary = s.forVersion(version, baseVariant);
        if (primary == null) {
          throw EdgeException.notFound(
              "model '" + model + "' has no version " + version + " loaded");
        }
      } else {
        RoutePlan plan = s.plan();
        if (plan == null) {
          throw EdgeException.unavailable("model '" + model + "' has no version ready yet");
        }
        String key = plan.stickyHeader() == null ? null : stickyHeaders.apply(plan.stickyHeader());
        boolean canary = plan.toCanary(key, ThreadLocalRandom.current().nextDouble());
        ModelSession stable = s.loaded().get(plan.stableId(model, baseVariant));
        if (plan.shadow()) {
          primary = stable;
          shadow = canary ? s.loaded().get(plan.canaryId(model, baseVariant)) : null;
        } else {
          primary = canary ? s.loaded().get(plan.canaryId(model, baseVariant)) : stable;
        }
      }
      if (!primary.acquire()) {
        continue; // swapped out between the lookup and the acquire: route again
      }
      if (shadow != null && !shadow.acquire()) {
        shadow = null;
      }
      return new Lease(primary, shadow);
    }
    throw EdgeException.unavailable("model '" + model + "' is being swapped, try again");
  }

  /** Retires every session (at shutdown); running requests still finish. */
  public synchronized void closeAll() {
    for (Served s : models.values()) {
      s.loaded().values().forEach(ModelSession::retire);
    }
    models.clear();
  }
}
