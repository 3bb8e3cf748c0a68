package io.streamforge.schemas.arrow;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a Java record as a versioned Arrow schema. {@link RecordSchema#of(Class)} derives the Arrow
 * schema from the record's components and stamps {@link #name()} and {@link #version()} into the
 * schema's metadata, where readers check them.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface ArrowRecord {
  /** Stable schema name, e.g. {@code "metric"}. */
  String name();

  /**
   * {@code major.minor}. Bump the minor version for compatible changes (a new nullable field);
   * readers of an older minor version ignore fields they do not know and readers of a newer one
   * read missing fields as null. Bump the major version for anything else: readers refuse it.
   */
  String version();
}
