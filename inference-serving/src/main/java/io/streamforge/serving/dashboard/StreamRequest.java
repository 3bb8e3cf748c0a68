package io.streamforge.serving.dashboard;

import io.streamforge.serving.EdgeException;
import io.vertx.core.MultiMap;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A client's stream request, read from the route and its query: which streams, which filters, where
 * each stream starts.
 *
 * <p>Where a stream starts: after the position the {@code Last-Event-ID} header gives for it (or,
 * without the header, the {@code lastEventId} parameter: EventSource repeats the URL on reconnect
 * but sends the header with its newest id, so the header wins); without one, at the beginning of
 * the topic, or at its end with {@code from=latest} ({@code from=metrics:latest} for some streams
 * only).
 *
 * @param streams the streams it reads
 * @param resume the positions to resume after, or null
 * @param latest the streams without a resume position that start at the end of their topic
 */
record StreamRequest(Set<Stream> streams, StreamFilter filter, Cursor resume, Set<Stream> latest) {
  /** The route that multiplexes several streams on one connection. */
  static final String ALL = "all";

  static final Set<String> FILTERS = Set.of("workflow", "run", "model", "source");
  static final Set<String> PARAMS = Set.of("include", "from", "lastEventId");

  StreamRequest {
    streams = Set.copyOf(streams);
    latest = Set.copyOf(latest);
  }

  /** Whether a stream starts from a position (history, or a resume) rather than live. */
  boolean catchesUp(Stream s) {
    return !latest.contains(s);
  }

  /**
   * Reads a request.
   *
   * @param route a stream id, or {@code all}
   * @throws EdgeException 404 for an unknown stream, 400 naming every problem of the query
   */
  static StreamRequest parse(String route, MultiMap params, String lastEventIdHeader) {
    List<String> problems = new ArrayList<>();
    Set<Stream> streams = EnumSet.noneOf(Stream.class);
    if (ALL.equals(route)) {
      List<String> include = params.getAll("include");
      if (include.isEmpty()) {
        streams.addAll(EnumSet.allOf(Stream.class));
      }
      for (String list : include) {
        for (String name : list.split(",", -1)) {
          Stream s = Stream.byId(name.trim());
          if (s == null) {
            problems.add("include: unknown stream '" + name + "' (" + streamNames() + ")");
          } else {
            streams.add(s);
          }
        }
      }
    } else {
      Stream s = Stream.byId(route);
      if (s == null) {
        throw EdgeException.notFound(
            "no stream '" + route + "': " + streamNames() + " or " + ALL + " (several at once)");
      }
      streams.add(s);
      if (params.contains("include")) {
        problems.add("include: only /api/streams/" + ALL + " takes it");
      }
    }
    for (String name : params.names()) {
      if (!FILTERS.contains(name) && !PARAMS.contains(name)) {
        problems.add(
            "unknown parameter '"
                + name
                + "' (filters: workflow, run, model, source; also include, from, lastEventId)");
      }
    }
    Set<String> workflows = filter(params, "workflow", streams, problems);
    Set<String> runs = filter(params, "run", streams, problems);
    Set<String> models = filter(params, "model", streams, problems);
    Set<String> sources = filter(params, "source", streams, problems);

    Set<Stream> latest = EnumSet.noneOf(Stream.class);
    for (String list : params.getAll("from")) {
      for (String item : list.split(",", -1)) {
        item = item.trim();
        int colon = item.indexOf(':');
        String where = colon < 0 ? item : item.substring(colon + 1);
        Set<Stream> which = streams;
        if (colon >= 0) {
          Stream s = Stream.byId(item.substring(0, colon));
          if (s == null || !streams.contains(s)) {
            problems.add("from: '" + item + "' names a stream this request does not read");
            continue;
          }
          which = EnumSet.of(s);
        }
        switch (where) {
          case "latest" -> latest.addAll(which);
          case "beginning" -> latest.removeAll(which);
          default ->
              problems.add(
                  "from: '"
                      + item
                      + "' is not beginning or latest (optionally <stream>:beginning|latest)");
        }
      }
    }

    String id = lastEventIdHeader;
    if (id == null || id.isBlank()) {
      id = params.get("lastEventId");
    }
    Cursor resume = null;
    if (id != null && !id.isBlank()) {
      try {
        resume = Cursor.parse(id.trim());
        for (Stream s : streams) {
          if (resume.positions(s) != null) {
            latest.remove(s); // resuming: after the id, not live
          }
        }
      } catch (IllegalArgumentException e) {
        problems.add("Last-Event-ID: " + e.getMessage());
      }
    }
    if (!problems.isEmpty()) {
      throw EdgeException.badRequest(String.join("; ", problems));
    }
    return new StreamRequest(
        streams, new StreamFilter(workflows, runs, models, sources), resume, latest);
  }

  private static Set<String> filter(
      MultiMap params, String name, Set<Stream> streams, List<String> problems) {
    Set<String> values = new LinkedHashSet<>();
    List<String> given = params.getAll(name);
    if (given.isEmpty()) {
      return values;
    }
    if (streams.stream().noneMatch(s -> s.filters().contains(name))) {
      problems.add("filter '" + name + "' does not apply to " + ids(streams));
    }
    for (String v : given) {
      if (v.isBlank()) {
        problems.add("filter '" + name + "' is empty");
      } else {
        values.add(v);
      }
    }
    return values;
  }

  private static String ids(Set<Stream> streams) {
    List<String> ids = new ArrayList<>();
    streams.forEach(s -> ids.add(s.id()));
    return String.join(", ", ids);
  }

  private static String streamNames() {
    return ids(EnumSet.allOf(Stream.class));
  }
}
