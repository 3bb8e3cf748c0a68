package io.streamforge.serving.model;

import com.sun.jna.NativeLibrary;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves the calling thread to Linux's {@code SCHED_IDLE} scheduling class, where it runs only on
 * CPU time no normal thread wants and yields at once when one wakes up.
 *
 * <p>For the edge's background work — loading and warming new model versions, freeing retired ones:
 * a session load is one native call of a few milliseconds, and on a busy machine it ran out its
 * time slice however low its nice value, while the requests queued on that core waited (the p99
 * during continuous swaps went up 1.6–1.9× with loads at normal or nice-19 priority). At {@code
 * SCHED_IDLE} the requests come first; a load then takes longer only while the cores are saturated.
 * Any thread may lower itself to this class without privileges. Elsewhere than Linux, or when the
 * call fails, the thread keeps its priority (logged once).
 */
public final class IdlePriority {
  private static final Logger log = LoggerFactory.getLogger(IdlePriority.class);
  private static final int SCHED_IDLE = 5;
  private static final AtomicBoolean reported = new AtomicBoolean();

  private IdlePriority() {}

  /**
   * Puts the calling thread in {@code SCHED_IDLE}.
   *
   * @return whether it now runs there
   */
  public static boolean applyToCurrentThread() {
    if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux")) {
      report("not Linux");
      return false;
    }
    try {
      // pid 0: the calling thread; the parameter block holds the priority, 0 for SCHED_IDLE
      int rc =
          NativeLibrary.getInstance("c")
              .getFunction("sched_setscheduler")
              .invokeInt(new Object[] {0, SCHED_IDLE, new int[] {0}});
      if (rc != 0) {
        report("sched_setscheduler returned " + rc);
        return false;
      }
      return true;
    } catch (UnsatisfiedLinkError | RuntimeException e) {
      report(e.toString());
      return false;
    }
  }

  /** Whether the calling thread runs in {@code SCHED_IDLE} (false where that cannot be told). */
  public static boolean isCurrentThreadIdle() {
    try {
      return NativeLibrary.getInstance("c")
              .getFunction("sched_getscheduler")
              .invokeInt(new Object[] {0})
          == SCHED_IDLE;
    } catch (UnsatisfiedLinkError | RuntimeException e) {
      return false;
    }
  }

  private static void report(String why) {
    if (reported.compareAndSet(false, true)) {
      log.info("background model work keeps normal CPU priority: {}", why);
    }
  }
}
