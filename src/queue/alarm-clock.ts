// The one alarm of a region DO, kept at the earliest deadline of its queue. Outside the alarm it only
// ever moves earlier: an alarm that fires early is harmless (it ticks and sets the next one), and most
// changes would otherwise move it a little later on every request.
import type { Logger } from "../lib/log";

export class AlarmClock {
  /** The alarm as this object last set or read it; undefined: not known (read it before trusting it). */
  private alarmAt: number | null | undefined;

  constructor(
    private readonly storage: DurableObjectStorage,
    /** When the queue next has something due, or null when nothing is. */
    private readonly nextWakeAt: () => number | null,
    private readonly log: Logger,
    private readonly shard: string | undefined,
  ) {}

  /** The alarm has fired, and so is gone: read it again rather than trust the last one set. */
  forget(): void {
    this.alarmAt = undefined;
  }

  /** Sets the alarm for the next deadline. `spent`: the alarm has just fired, so set the next one exactly. */
  async arm(spent = false): Promise<void> {
    const wakeAt = this.nextWakeAt();
    if (this.alarmAt === undefined) this.alarmAt = await this.storage.getAlarm();
    // Decided and noted before the write, with no await between: of concurrent calls, the last write is the earliest.
    const current = this.alarmAt;
    try {
      if (wakeAt === null) {
        if (spent && current !== null) {
          this.alarmAt = null;
          await this.storage.deleteAlarm();
        }
      } else if (current === null || wakeAt < current || (spent && wakeAt !== current)) {
        this.alarmAt = wakeAt;
        await this.storage.setAlarm(wakeAt);
      }
    } catch (err) {
      // The write failed: the next call reads the alarm again rather than trust what was noted.
      this.alarmAt = undefined;
      throw err;
    }
  }

  /**
   * Re-arms after a change that has committed (the alarm itself arms with `arm`, which throws so that
   * the runtime retries it): a failure is logged, not answered, and the next change sets the alarm.
   */
  async rearmAfterChange(): Promise<void> {
    try {
      await this.arm();
    } catch (err) {
      this.log.warn("alarm not set; the next change sets it", { shard: this.shard, error: String(err) });
    }
  }
}
