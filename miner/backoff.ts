// Exponential backoff with jitter for retrying calls to the coordinator: each failure in a row doubles
// the ceiling (from baseMs up to maxMs), and the wait is drawn from the upper half of it, so miners that
// fail together do not retry together yet never retry at once. A success resets it.
export interface BackoffSettings {
  baseMs: number;
  maxMs: number;
  /** A number in [0, 1); Math.random unless a test pins it. */
  random?: () => number;
}

export class Backoff {
  private failures = 0;
  private readonly settings: BackoffSettings;
  private readonly random: () => number;

  constructor(settings: BackoffSettings = { baseMs: 250, maxMs: 15_000 }) {
    this.settings = settings;
    this.random = settings.random ?? Math.random;
  }

  /** The wait before the next try after one more failure, in milliseconds. */
  next(): number {
    const ceiling = Math.min(this.settings.maxMs, this.settings.baseMs * 2 ** this.failures);
    this.failures = Math.min(this.failures + 1, 30);
    return Math.round(ceiling / 2 + (this.random() * ceiling) / 2);
  }

  reset(): void {
    this.failures = 0;
  }
}
