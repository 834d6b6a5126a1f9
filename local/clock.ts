/**
 * Time for the local runtime. Retries, backoff and schedules wait on this clock, so tests inject a
 * manual clock and advance it instead of sleeping.
 */
export interface Clock {
  now(): number;
  setTimeout(callback: () => void, ms: number): ClockTimer;
  clearTimeout(timer: ClockTimer): void;
}

export interface ClockTimer {
  readonly id: number;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(callback, ms) {
    const handle = setTimeout(callback, Math.max(0, ms));
    handle.unref?.();
    return { id: Number(handle[Symbol.toPrimitive]()), handle } as ClockTimer & { handle: NodeJS.Timeout };
  },
  clearTimeout(timer) {
    clearTimeout((timer as ClockTimer & { handle: NodeJS.Timeout }).handle);
  },
};

/** A clock that only moves when told to: `advance(ms)` fires every timer that falls due, in order. */
export class ManualClock implements Clock {
  #now: number;
  #nextId = 1;
  #timers = new Map<number, { at: number; callback: () => void }>();

  constructor(start: number | string = Date.UTC(2026, 0, 1)) {
    this.#now = typeof start === 'string' ? Date.parse(start) : start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number): ClockTimer {
    const id = this.#nextId++;
    this.#timers.set(id, { at: this.#now + Math.max(0, ms), callback });
    return { id };
  }

  clearTimeout(timer: ClockTimer): void {
    this.#timers.delete(timer.id);
  }

  /** Moves time forward, firing due timers in time order (timers set while firing are honoured). */
  advance(ms: number): void {
    const target = this.#now + ms;
    for (;;) {
      const due = [...this.#timers.entries()]
        .filter(([, t]) => t.at <= target)
        .sort((a, b) => a[1].at - b[1].at || a[0] - b[0])[0];
      if (!due) break;
      this.#timers.delete(due[0]);
      this.#now = Math.max(this.#now, due[1].at);
      due[1].callback();
    }
    this.#now = target;
  }

  get pendingTimers(): number {
    return this.#timers.size;
  }
}
