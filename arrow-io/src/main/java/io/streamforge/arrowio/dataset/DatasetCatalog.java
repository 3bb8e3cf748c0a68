package io.streamforge.arrowio.dataset;

import io.streamforge.schemas.Topics;
import io.streamforge.schemas.records.DatasetManifest;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A snapshot of {@code dataset.manifests}: every version of every dataset, the latest manifest per
 * version winning, as of the moment it was loaded.
 */
public final class DatasetCatalog {
  private static final org.slf4j.Logger log =
      org.slf4j.LoggerFactory.getLogger(DatasetCatalog.class);
  private final Map<String, TreeMap<Integer, DatasetManifest>> datasets;
  private final Map<String, String> owners;

  private DatasetCatalog(
      Map<String, TreeMap<Integer, DatasetManifest>> datasets, Map<String, String> owners) {
    this.datasets = datasets;
    this.owners = owners;
  }

  /** Reads the manifest topic from the beginning to its current end. */
  public static DatasetCatalog load(KafkaClients clients) {
    Map<String, TreeMap<Integer, DatasetManifest>> datasets = new TreeMap<>();
    Map<String, String> owners = new TreeMap<>();
    TopicSnapshot.read(
        clients,
        Topics.DATASET_MANIFESTS,
        (key, m) -> {
          String owner = owners.putIfAbsent(m.key(), m.producerId());
          if (owner == null || owner.equals(m.producerId())) {
            datasets.computeIfAbsent(m.dataset(), k -> new TreeMap<>()).put(m.version(), m);
          }
        });
    return new DatasetCatalog(datasets, owners);
  }

  /** Dataset names, sorted. */
  public List<String> names() {
    return List.copyOf(datasets.keySet());
  }

  /** Every version of {@code dataset}, oldest first. */
  public List<DatasetManifest> versions(String dataset) {
    TreeMap<Integer, DatasetManifest> v = datasets.get(dataset);
    return v == null ? List.of() : List.copyOf(v.values());
  }

  public Optional<DatasetManifest> manifest(String dataset, int version) {
    TreeMap<Integer, DatasetManifest> v = datasets.get(dataset);
    return Optional.ofNullable(v == null ? null : v.get(version));
  }

  /** The newest sealed version. */
  public Optional<DatasetManifest> latestSealed(String dataset) {
    return versions(dataset).stream()
        .filter(DatasetManifest::sealed)
        .max(Comparator.comparingInt(DatasetManifest::version));
  }

  /** The highest version number used so far (sealed or not), or 0. */
  public int highestVersion(String dataset) {
    TreeMap<Integer, DatasetManifest> v = datasets.get(dataset);
    return v == null || v.isEmpty() ? 0 : v.lastKey();
  }

  /**
   * The manifest a reader may read: sealed, or an error that says why not and what can be read.
   *
   * @throws DatasetUnavailableException naming the dataset, the version and the reason
   */
  public DatasetManifest readable(String dataset, Integer version) {
    List<DatasetManifest> all = versions(dataset);
    if (all.isEmpty()) {
      throw new DatasetUnavailableException(
          "dataset '"
              + dataset
              + "' does not exist"
              + (names().isEmpty() ? "" : " (known datasets: " + String.join(", ", names()) + ")"));
    }
    String sealed =
        all.stream()
            .filter(DatasetManifest::sealed)
            .map(m -> Integer.toString(m.version()))
            .reduce((a, b) -> a + ", " + b)
            .orElse("none");
    if (version == null) {
      return latestSealed(dataset)
          .orElseThrow(
              () ->
                  new DatasetUnavailableException(
                      "dataset '" + dataset + "' has no sealed version yet"));
    }
    DatasetManifest m =
        manifest(dataset, version)
            .orElseThrow(
                () ->
                    new DatasetUnavailableException(
                        "dataset '"
                            + dataset
                            + "' has no version "
                            + version
                            + " (sealed versions: "
                            + sealed
                            + ")"));
    return switch (m.status()) {
      case SEALED -> m;
      case OPEN ->
          throw new DatasetUnavailableException(
              "dataset '"
                  + dataset
                  + "' version "
                  + version
                  + " is not sealed: its publish has not finished (or was killed), so it may be"
                  + " incomplete and cannot be read (sealed versions: "
                  + sealed
                  + ")");
      case ABORTED ->
          throw new DatasetUnavailableException(
              "dataset '"
                  + dataset
                  + "' version "
                  + version
                  + " was aborted ("
                  + m.error()
                  + ") and cannot be read (sealed versions: "
                  + sealed
                  + ")");
    };
  }

  /**
   * The publisher that owns {@code dataset:version}: the one whose manifest came first. Records of
   * other publishers for the same key (two publishers that picked the same version at once) are
   * ignored by the catalog, and the later publisher moves on to another version.
   */
  Optional<String> owner(String dataset, int version) {
    return Optional.ofNullable(owners.get(DatasetManifest.key(dataset, version)));
  }
}
