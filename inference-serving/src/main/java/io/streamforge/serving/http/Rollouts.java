package io.streamforge.serving.http;

import io.vertx.core.json.JsonObject;

/** Applies an admin rollout request (set weight, promote, roll back, shadow) to a model. */
public interface Rollouts {
  /**
   * Applies {@code request} to {@code model}; may block (runs on a worker thread).
   *
   * @return what was decided, as JSON
   * @throws io.streamforge.serving.EdgeException for a request that cannot be applied
   */
  JsonObject rollout(String model, JsonObject request);
}
