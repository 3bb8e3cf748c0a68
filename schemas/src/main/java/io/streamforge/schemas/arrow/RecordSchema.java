package io.streamforge.schemas.arrow;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.TimeStampMicroTZVector;
import org.apache.arrow.vector.ValueVector;
import org.apache.arrow.vector.VarBinaryVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.complex.MapVector;
import org.apache.arrow.vector.complex.StructVector;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * The Arrow schema of a Java record annotated with {@link ArrowRecord}, and the conversion between
 * lists of records and {@link VectorSchemaRoot}s.
 *
 * <p>Components map to Arrow fields named in snake_case: {@code String} and enums to utf8, {@code
 * int} to int32, {@code long} to int64, {@code float}/{@code double} to float32/float64, {@code
 * boolean} to bool, {@link Instant} to timestamp(µs, UTC), {@code byte[]} to binary, {@code
 * List<E>} to list, {@code Map<String, V>} to map and nested records to struct. Primitive
 * components are non-nullable, all others nullable. Fields are matched by name when reading, so a
 * newer minor version with extra fields reads fine here and fields missing in older data read as
 * null (or 0/false for primitives).
 *
 * <p>Instances are immutable and thread-safe; {@link #of(Class)} caches them.
 */
public final class RecordSchema<T extends Record> {
  private static final Map<Class<?>, RecordSchema<?>> CACHE = new ConcurrentHashMap<>();

  private final Class<T> type;
  private final String name;
  private final SchemaVersion version;
  private final Schema schema;
  private final StructCodec codec;

  private RecordSchema(Class<T> type) {
    ArrowRecord annotation = type.getAnnotation(ArrowRecord.class);
    if (annotation == null) {
      throw new IllegalArgumentException(type.getName() + " is not annotated with @ArrowRecord");
    }
    this.type = type;
    this.name = annotation.name();
    this.version = SchemaVersion.parse(annotation.version());
    this.codec = new StructCodec(type);
    this.schema = SchemaMetadata.stamp(new Schema(codec.childFields(), Map.of()), name, version);
  }

  /** The schema of {@code type}, built once and cached. */
  @SuppressWarnings("unchecked")
  public static <T extends Record> RecordSchema<T> of(Class<T> type) {
    Objects.requireNonNull(type, "type");
    return (RecordSchema<T>) CACHE.computeIfAbsent(type, t -> new RecordSchema<>(type));
  }

  public Class<T> type() {
    return type;
  }

  public String name() {
    return name;
  }

  public SchemaVersion version() {
    return version;
  }

  /** The Arrow schema, with name and version in its metadata. */
  public Schema arrowSchema() {
    return schema;
  }

  /** A new root holding {@code records}; the caller closes it. */
  public VectorSchemaRoot write(List<T> records, BufferAllocator allocator) {
    Objects.requireNonNull(records, "records");
    VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator);
    try {
      root.allocateNew();
      List<FieldVector> vectors = root.getFieldVectors();
      for (int row = 0; row < records.size(); row++) {
        T record = Objects.requireNonNull(records.get(row), "records[" + row + "]");
        for (int c = 0; c < codec.components.length; c++) {
          codec.components[c].write(vectors.get(c), row, codec.get(c, record));
        }
      }
      root.setRowCount(records.size());
      return root;
    } catch (RuntimeException e) {
      root.close();
      throw e;
    }
  }

  /**
   * Reads every row of {@code root} after checking its schema name and major version.
   *
   * @throws SchemaMismatchException when the batch is another schema or an unknown major version
   */
  public List<T> read(VectorSchemaRoot root) {
    SchemaMetadata.check(root.getSchema(), name, version);
    int n = root.getRowCount();
    ValueVector[] vectors = new ValueVector[codec.components.length];
    for (int c = 0; c < vectors.length; c++) {
      vectors[c] = root.getVector(codec.components[c].fieldName);
    }
    List<T> out = new ArrayList<>(n);
    for (int row = 0; row < n; row++) {
      out.add(type.cast(codec.construct(vectors, row)));
    }
    return out;
  }

  // ---------------------------------------------------------------------------------------------
  // Codecs: one per Arrow type. write() handles null; read() returns null for null slots.

  private abstract static class Codec {
    final String fieldName;
    final boolean nullable;
    final Object defaultValue;

    Codec(String fieldName, boolean nullable, Object defaultValue) {
      this.fieldName = fieldName;
      this.nullable = nullable;
      this.defaultValue = defaultValue;
    }

    abstract Field field();

    abstract void writeValue(ValueVector vector, int index, Object value);

    abstract Object readValue(ValueVector vector, int index);

    FieldType fieldType(ArrowType type) {
      return nullable ? FieldType.nullable(type) : FieldType.notNullable(type);
    }

    final void write(ValueVector vector, int index, Object value) {
      if (value == null) {
        if (!nullable) {
          throw new IllegalArgumentException("field '" + fieldName + "' must not be null");
        }
        setNull(vector, index);
      } else {
        writeValue(vector, index, value);
      }
    }

    void setNull(ValueVector vector, int index) {
      ((FieldVector) vector).setNull(index);
    }

    final Object read(ValueVector vector, int index) {
      if (vector == null || vector.isNull(index)) {
        return defaultValue;
      }
      return readValue(vector, index);
    }
  }

  private static final class ScalarCodec extends Codec {
    private final ArrowType arrowType;
    private final Writer writer;
    private final Reader reader;

    interface Writer {
      void write(ValueVector v, int i, Object value);
    }

    interface Reader {
      Object read(ValueVector v, int i);
    }

    ScalarCodec(
        String fieldName,
        boolean nullable,
        Object defaultValue,
        ArrowType arrowType,
        Writer writer,
        Reader reader) {
      super(fieldName, nullable, defaultValue);
      this.arrowType = arrowType;
      this.writer = writer;
      this.reader = reader;
    }

    @Override
    Field field() {
      return new Field(fieldName, fieldType(arrowType), null);
    }

    @Override
    void writeValue(ValueVector vector, int index, Object value) {
      writer.write(vector, index, value);
    }

    @Override
    Object readValue(ValueVector vector, int index) {
      return reader.read(vector, index);
    }
  }

  private static final class ListCodec extends Codec {
    private final Codec element;

    ListCodec(String fieldName, Codec element) {
      super(fieldName, true, null);
      this.element = element;
    }

    @Override
    Field field() {
      return new Field(fieldName, fieldType(ArrowType.List.INSTANCE), List.of(element.field()));
    }

    @Override
    void writeValue(ValueVector vector, int index, Object value) {
      ListVector list = (ListVector) vector;
      List<?> items = (List<?>) value;
      int start = list.startNewValue(index);
      ValueVector data = list.getDataVector();
      for (int k = 0; k < items.size(); k++) {
        element.write(data, start + k, items.get(k));
      }
      list.endValue(index, items.size());
    }

    @Override
    Object readValue(ValueVector vector, int index) {
      ListVector list = (ListVector) vector;
      int start = list.getElementStartIndex(index);
      int end = list.getElementEndIndex(index);
      ValueVector data = list.getDataVector();
      List<Object> out = new ArrayList<>(end - start);
      for (int k = start; k < end; k++) {
        out.add(element.read(data, k));
      }
      return java.util.Collections.unmodifiableList(out);
    }
  }

  private static final class MapCodec extends Codec {
    private final Codec key;
    private final Codec value;

    MapCodec(String fieldName, Codec value) {
      super(fieldName, true, null);
      this.key = scalar(String.class, MapVector.KEY_NAME, false);
      this.value = value;
    }

    @Override
    Field field() {
      Field entries =
          new Field(
              MapVector.DATA_VECTOR_NAME,
              FieldType.notNullable(ArrowType.Struct.INSTANCE),
              List.of(key.field(), value.field()));
      return new Field(fieldName, fieldType(new ArrowType.Map(false)), List.of(entries));
    }

    @Override
    void writeValue(ValueVector vector, int index, Object object) {
      MapVector map = (MapVector) vector;
      Map<?, ?> entries = (Map<?, ?>) object;
      int start = map.startNewValue(index);
      StructVector struct = (StructVector) map.getDataVector();
      ValueVector keys = struct.getChild(MapVector.KEY_NAME);
      ValueVector values = struct.getChild(MapVector.VALUE_NAME);
      int k = 0;
      for (Map.Entry<?, ?> e : entries.entrySet()) {
        key.write(keys, start + k, e.getKey());
        value.write(values, start + k, e.getValue());
        struct.setIndexDefined(start + k);
        k++;
      }
      map.endValue(index, entries.size());
    }

    @Override
    Object readValue(ValueVector vector, int index) {
      MapVector map = (MapVector) vector;
      int start = map.getElementStartIndex(index);
      int end = map.getElementEndIndex(index);
      StructVector struct = (StructVector) map.getDataVector();
      ValueVector keys = struct.getChild(MapVector.KEY_NAME);
      ValueVector values = struct.getChild(MapVector.VALUE_NAME);
      Map<Object, Object> out = new LinkedHashMap<>();
      for (int k = start; k < end; k++) {
        out.put(key.read(keys, k), value.read(values, k));
      }
      return java.util.Collections.unmodifiableMap(out);
    }
  }

  /** A record as a struct; the top level of a schema is the same thing without the struct. */
  private static final class StructCodec extends Codec {
    final Codec[] components;
    private final MethodHandle[] accessors;
    private final MethodHandle constructor;

    StructCodec(Class<?> recordType) {
      this(recordType, null, true);
    }

    StructCodec(Class<?> recordType, String fieldName, boolean nullable) {
      super(fieldName, nullable, null);
      if (!recordType.isRecord()) {
        throw new IllegalArgumentException(recordType.getName() + " is not a record");
      }
      RecordComponent[] rc = recordType.getRecordComponents();
      components = new Codec[rc.length];
      accessors = new MethodHandle[rc.length];
      Class<?>[] types = new Class<?>[rc.length];
      MethodHandles.Lookup lookup = MethodHandles.publicLookup();
      try {
        for (int i = 0; i < rc.length; i++) {
          components[i] = codecFor(rc[i].getGenericType(), snake(rc[i].getName()), true);
          accessors[i] =
              lookup
                  .unreflect(rc[i].getAccessor())
                  .asType(MethodType.methodType(Object.class, Object.class));
          types[i] = rc[i].getType();
        }
        constructor =
            lookup
                .findConstructor(recordType, MethodType.methodType(void.class, types))
                .asSpreader(Object[].class, types.length)
                .asType(MethodType.methodType(Object.class, Object[].class));
      } catch (ReflectiveOperationException e) {
        throw new IllegalArgumentException(
            "record " + recordType.getName() + " must be public with public components", e);
      }
    }

    List<Field> childFields() {
      List<Field> fields = new ArrayList<>(components.length);
      for (Codec c : components) {
        fields.add(c.field());
      }
      return fields;
    }

    Object get(int component, Object record) {
      try {
        return (Object) accessors[component].invokeExact(record);
      } catch (Throwable t) {
        throw new IllegalStateException("cannot read component " + component, t);
      }
    }

    Object construct(ValueVector[] vectors, int row) {
      Object[] args = new Object[components.length];
      for (int c = 0; c < args.length; c++) {
        args[c] = components[c].read(vectors[c], row);
      }
      try {
        return (Object) constructor.invokeExact(args);
      } catch (RuntimeException e) {
        throw e;
      } catch (Throwable t) {
        throw new IllegalStateException("cannot construct record", t);
      }
    }

    @Override
    Field field() {
      return new Field(fieldName, fieldType(ArrowType.Struct.INSTANCE), childFields());
    }

    @Override
    void writeValue(ValueVector vector, int index, Object value) {
      StructVector struct = (StructVector) vector;
      for (int c = 0; c < components.length; c++) {
        components[c].write(struct.getChild(components[c].fieldName), index, get(c, value));
      }
      struct.setIndexDefined(index);
    }

    @Override
    void setNull(ValueVector vector, int index) {
      StructVector struct = (StructVector) vector;
      for (Codec c : components) {
        if (c.nullable) {
          c.setNull(struct.getChild(c.fieldName), index);
        } else {
          c.writeValue(struct.getChild(c.fieldName), index, c.defaultValue);
        }
      }
      struct.setNull(index);
    }

    @Override
    Object readValue(ValueVector vector, int index) {
      StructVector struct = (StructVector) vector;
      ValueVector[] children = new ValueVector[components.length];
      for (int c = 0; c < children.length; c++) {
        children[c] = struct.getChild(components[c].fieldName);
      }
      return construct(children, index);
    }
  }

  // ---------------------------------------------------------------------------------------------

  private static Codec codecFor(Type type, String fieldName, boolean nullableIfObject) {
    if (type instanceof Class<?> c) {
      if (c.isRecord()) {
        return new StructCodec(c, fieldName, true);
      }
      return scalar(c, fieldName, !c.isPrimitive() && nullableIfObject);
    }
    if (type instanceof ParameterizedType p && p.getRawType() instanceof Class<?> raw) {
      Type[] args = p.getActualTypeArguments();
      if (raw == List.class) {
        return new ListCodec(fieldName, codecFor(args[0], "item", true));
      }
      if (raw == Map.class) {
        if (args[0] != String.class) {
          throw new IllegalArgumentException(
              "field '" + fieldName + "': only Map<String, V> is supported, not " + type);
        }
        return new MapCodec(fieldName, codecFor(args[1], MapVector.VALUE_NAME, true));
      }
    }
    throw new IllegalArgumentException("field '" + fieldName + "': unsupported type " + type);
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static Codec scalar(Class<?> c, String fieldName, boolean nullable) {
    if (c == String.class) {
      return new ScalarCodec(
          fieldName,
          nullable,
          null,
          ArrowType.Utf8.INSTANCE,
          (v, i, x) ->
              ((VarCharVector) v).setSafe(i, ((String) x).getBytes(StandardCharsets.UTF_8)),
          (v, i) -> new String(((VarCharVector) v).get(i), StandardCharsets.UTF_8));
    }
    if (c.isEnum()) {
      Class<? extends Enum> enumType = (Class<? extends Enum>) c;
      return new ScalarCodec(
          fieldName,
          nullable,
          null,
          ArrowType.Utf8.INSTANCE,
          (v, i, x) ->
              ((VarCharVector) v).setSafe(i, ((Enum<?>) x).name().getBytes(StandardCharsets.UTF_8)),
          (v, i) -> {
            String s = new String(((VarCharVector) v).get(i), StandardCharsets.UTF_8);
            try {
              return Enum.valueOf(enumType, s);
            } catch (IllegalArgumentException e) {
              throw new SchemaMismatchException(
                  "field '" + fieldName + "': unknown " + c.getSimpleName() + " value '" + s + "'");
            }
          });
    }
    if (c == int.class || c == Integer.class) {
      return new ScalarCodec(
          fieldName,
          nullable,
          c.isPrimitive() ? 0 : null,
          new ArrowType.Int(32, true),
          (v, i, x) -> ((IntVector) v).setSafe(i, (Integer) x),
          (v, i) -> ((IntVector) v).get(i));
    }
    if (c == long.class || c == Long.class) {
      return new ScalarCodec(
          fieldName,
          nullable,
          c.isPrimitive() ? 0L : null,
          new ArrowType.Int(64, true),
          (v, i, x) -> ((BigIntVector) v).setSafe(i, (Long) x),
          (v, i) -> ((BigIntVector) v).get(i));
    }
    if (c == double.class || c == Double.class) {
      return new ScalarCodec(
          fieldName,
          nullable,
          c.isPrimitive() ? 0.0 : null,
          new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE),
          (v, i, x) -> ((Float8Vector) v).setSafe(i, (Double) x),
          (v, i) -> ((Float8Vector) v).get(i));
    }
    if (c == float.class || c == Float.class) {
      return new ScalarCodec(
          fieldName,
          nullable,
          c.isPrimitive() ? 0.0f : null,
          new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE),
          (v, i, x) -> ((Float4Vector) v).setSafe(i, (Float) x),
          (v, i) -> ((Float4Vector) v).get(i));
    }
    if (c == boolean.class || c == Boolean.class) {
      return new ScalarCodec(
          fieldName,
          nullable,
          c.isPrimitive() ? false : null,
          ArrowType.Bool.INSTANCE,
          (v, i, x) -> ((BitVector) v).setSafe(i, ((Boolean) x) ? 1 : 0),
          (v, i) -> ((BitVector) v).get(i) != 0);
    }
    if (c == Instant.class) {
      return new ScalarCodec(
          fieldName,
          nullable,
          null,
          new ArrowType.Timestamp(TimeUnit.MICROSECOND, "UTC"),
          (v, i, x) -> ((TimeStampMicroTZVector) v).setSafe(i, toMicros((Instant) x)),
          (v, i) -> fromMicros(((TimeStampMicroTZVector) v).get(i)));
    }
    if (c == byte[].class) {
      return new ScalarCodec(
          fieldName,
          nullable,
          null,
          ArrowType.Binary.INSTANCE,
          (v, i, x) -> ((VarBinaryVector) v).setSafe(i, (byte[]) x),
          (v, i) -> ((VarBinaryVector) v).get(i));
    }
    throw new IllegalArgumentException("field '" + fieldName + "': unsupported type " + c);
  }

  private static long toMicros(Instant t) {
    return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000L), t.getNano() / 1_000);
  }

  private static Instant fromMicros(long micros) {
    return Instant.ofEpochSecond(
        Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1_000L);
  }

  /** {@code correlationId} → {@code correlation_id}. */
  static String snake(String camel) {
    StringBuilder sb = new StringBuilder(camel.length() + 4);
    for (int i = 0; i < camel.length(); i++) {
      char ch = camel.charAt(i);
      if (Character.isUpperCase(ch)) {
        if (i > 0) {
          sb.append('_');
        }
        sb.append(Character.toLowerCase(ch));
      } else {
        sb.append(ch);
      }
    }
    return sb.toString();
  }
}
