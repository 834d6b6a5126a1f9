/**
 * EventBridge Scheduler's schedule expressions and when they fall due:
 * - `at(yyyy-mm-ddThh:mm:ss)`: once, at that wall-clock time in the schedule's time zone;
 * - `rate(value unit)`: every value minutes/hours/days from the schedule's start;
 * - `cron(minutes hours day-of-month month day-of-week year)`: AWS's six-field cron, evaluated in
 *   the schedule's time zone (so 08:00 stays 08:00 across daylight saving changes).
 * Time zones are IANA names, resolved with Intl.
 */

export class ExpressionError extends Error {
  override name = 'ExpressionError';
}

export interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

export interface CronFields {
  minutes: number[];
  hours: number[];
  months: number[];
  /** undefined when any year matches */
  years: number[] | undefined;
  dayOfMonth: DayOfMonth;
  dayOfWeek: DayOfWeek;
}

type DayOfMonth =
  | { kind: 'any' }
  | { kind: 'days'; days: number[] }
  | { kind: 'last'; offset: number }
  | { kind: 'last-weekday' }
  | { kind: 'nearest-weekday'; day: number };
type DayOfWeek =
  | { kind: 'any' }
  | { kind: 'days'; days: number[] }
  | { kind: 'last'; weekday: number }
  | { kind: 'nth'; weekday: number; nth: number };

export type ScheduleExpression =
  | { kind: 'at'; wallTime: WallTime }
  | { kind: 'rate'; everyMs: number }
  | { kind: 'cron'; fields: CronFields };

const invalid = (expression: string) => new ExpressionError(`Invalid Schedule Expression ${expression}.`);

const daysInMonth = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();

export function parseExpression(expression: string): ScheduleExpression {
  const at = /^at\((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\)$/.exec(expression);
  if (at) {
    const [year, month, day, hour, minute, second] = at.slice(1).map(Number) as [
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    const valid =
      month >= 1 &&
      month <= 12 &&
      day >= 1 &&
      day <= daysInMonth(year, month) &&
      hour <= 23 &&
      minute <= 59 &&
      second <= 59;
    if (!valid) throw invalid(expression);
    return { kind: 'at', wallTime: { year, month, day, hour, minute, second } };
  }
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (rate) {
    const value = Number(rate[1]);
    const unit = rate[2] as string;
    // As in AWS: the unit is singular for 1 and plural otherwise.
    if (value < 1 || (value === 1) !== !unit.endsWith('s')) throw invalid(expression);
    const unitMs = unit.startsWith('minute') ? 60_000 : unit.startsWith('hour') ? 3_600_000 : 86_400_000;
    return { kind: 'rate', everyMs: value * unitMs };
  }
  const cron = /^cron\((.+)\)$/.exec(expression);
  if (cron) return { kind: 'cron', fields: parseCron(cron[1] as string, expression) };
  throw invalid(expression);
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const WEEKDAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

function parseCron(body: string, expression: string): CronFields {
  const parts = body.trim().split(/\s+/);
  if (parts.length !== 6) throw invalid(expression);
  const [minutes, hours, dom, month, dow, year] = parts as [string, string, string, string, string, string];
  // AWS cron: exactly one of day-of-month and day-of-week is '?'.
  if ((dom === '?') === (dow === '?')) throw invalid(expression);
  const values = (field: string, min: number, max: number, names?: string[]) => {
    const result = new Set<number>();
    for (const item of field.split(',')) {
      const match = /^(\*|[A-Za-z0-9]+)(?:-([A-Za-z0-9]+))?(?:\/(\d+))?$/.exec(item);
      if (!match) throw invalid(expression);
      const value = (text: string) => {
        const index = names?.indexOf(text.toUpperCase()) ?? -1;
        const n = index >= 0 ? index + min : /^\d+$/.test(text) ? Number(text) : Number.NaN;
        if (!(n >= min && n <= max)) throw invalid(expression);
        return n;
      };
      const [, from = '*', to, step] = match;
      const start = from === '*' ? min : value(from);
      const end = to !== undefined ? value(to) : from === '*' || step !== undefined ? max : start;
      const increment = step === undefined ? 1 : Number(step);
      if (increment < 1 || end < start) throw invalid(expression);
      for (let n = start; n <= end; n += increment) result.add(n);
    }
    return [...result].sort((a, b) => a - b);
  };

  let dayOfMonth: DayOfMonth;
  if (dom === '?' || dom === '*') dayOfMonth = { kind: 'any' };
  else if (dom === 'L') dayOfMonth = { kind: 'last', offset: 0 };
  else if (/^L-\d+$/.test(dom)) dayOfMonth = { kind: 'last', offset: Number(dom.slice(2)) };
  else if (dom === 'LW') dayOfMonth = { kind: 'last-weekday' };
  else if (/^\d+W$/.test(dom))
    dayOfMonth = { kind: 'nearest-weekday', day: values(dom.slice(0, -1), 1, 31)[0] as number };
  else dayOfMonth = { kind: 'days', days: values(dom, 1, 31) };

  let dayOfWeek: DayOfWeek;
  if (dow === '?' || dow === '*') dayOfWeek = { kind: 'any' };
  else if (/^[A-Za-z0-9]+L$/.test(dow))
    dayOfWeek = { kind: 'last', weekday: values(dow.slice(0, -1), 1, 7, WEEKDAYS)[0] as number };
  else if (/^[A-Za-z0-9]+#[1-5]$/.test(dow)) {
    const [weekday = '', nth = ''] = dow.split('#');
    dayOfWeek = { kind: 'nth', weekday: values(weekday, 1, 7, WEEKDAYS)[0] as number, nth: Number(nth) };
  } else dayOfWeek = { kind: 'days', days: values(dow, 1, 7, WEEKDAYS) };

  return {
    minutes: values(minutes, 0, 59),
    hours: values(hours, 0, 23),
    months: values(month, 1, 12, MONTHS),
    years: year === '*' ? undefined : values(year, 1970, 2199),
    dayOfMonth,
    dayOfWeek,
  };
}

// ---- time zones ----

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, format);
  }
  return format;
}

/** Whether Intl knows the IANA time zone (e.g. Europe/Stockholm). */
export function isTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The wall-clock time at `instant` in `timeZone`. */
export function wallTimeAt(instant: number, timeZone: string): WallTime {
  const parts = Object.fromEntries(
    formatter(timeZone)
      .formatToParts(new Date(instant))
      .map((part) => [part.type, Number(part.value)]),
  );
  return {
    year: parts.year ?? 1970,
    month: parts.month ?? 1,
    day: parts.day ?? 1,
    hour: parts.hour ?? 0,
    minute: parts.minute ?? 0,
    second: parts.second ?? 0,
  };
}

const asUtc = (wall: WallTime) =>
  Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second);

/** The instant a wall-clock time names in `timeZone` (in a DST gap: the instant after the gap). */
export function instantOf(wall: WallTime, timeZone: string): number {
  const target = asUtc(wall);
  const offsetAt = (instant: number) =>
    asUtc(wallTimeAt(instant, timeZone)) - Math.floor(instant / 1000) * 1000;
  let guess = target - offsetAt(target);
  const second = offsetAt(guess);
  if (target - second !== guess) guess = Math.max(guess, target - second);
  return guess;
}

// ---- when a schedule falls due ----

export interface DueInput {
  timeZone: string;
  /** rate schedules count from here (StartDate, or when the schedule was created) */
  anchor: number;
  /** StartDate and EndDate bound recurring schedules */
  startDate?: number | undefined;
  endDate?: number | undefined;
}

/** The first time after `after` (exclusive) the expression falls due, or undefined when never again. */
export function nextDue(expression: ScheduleExpression, after: number, input: DueInput): number | undefined {
  if (expression.kind === 'at') {
    const due = instantOf(expression.wallTime, input.timeZone);
    return due > after ? due : undefined;
  }
  const from = Math.max(after, (input.startDate ?? Number.NEGATIVE_INFINITY) - 1);
  const due =
    expression.kind === 'rate'
      ? input.anchor +
        Math.max(1, Math.floor((from - input.anchor) / expression.everyMs) + 1) * expression.everyMs
      : nextCron(expression.fields, from, input.timeZone);
  if (due === undefined || (input.endDate !== undefined && due > input.endDate)) return undefined;
  return due;
}

function weekdayOf(year: number, month: number, day: number): number {
  return new Date(Date.UTC(year, month - 1, day)).getUTCDay() + 1; // 1 = Sunday, as in AWS cron
}

function dayMatches(fields: CronFields, year: number, month: number, day: number): boolean {
  const last = daysInMonth(year, month);
  const weekday = weekdayOf(year, month, day);
  const dom = fields.dayOfMonth;
  const dow = fields.dayOfWeek;
  switch (dom.kind) {
    case 'days':
      if (!dom.days.includes(day)) return false;
      break;
    case 'last':
      if (day !== last - dom.offset) return false;
      break;
    case 'last-weekday': {
      const lastWeekday = weekdayOf(year, month, last);
      const target = lastWeekday === 1 ? last - 2 : lastWeekday === 7 ? last - 1 : last;
      if (day !== target) return false;
      break;
    }
    case 'nearest-weekday': {
      const anchor = Math.min(dom.day, last);
      const anchorWeekday = weekdayOf(year, month, anchor);
      let target = anchor;
      if (anchorWeekday === 7) target = anchor === 1 ? 3 : anchor - 1;
      else if (anchorWeekday === 1) target = anchor === last ? anchor - 2 : anchor + 1;
      if (day !== target) return false;
      break;
    }
  }
  switch (dow.kind) {
    case 'days':
      return dow.days.includes(weekday);
    case 'last':
      return weekday === dow.weekday && day + 7 > last;
    case 'nth':
      return weekday === dow.weekday && Math.ceil(day / 7) === dow.nth;
    default:
      return true;
  }
}

function nextCron(fields: CronFields, after: number, timeZone: string): number | undefined {
  const start = wallTimeAt(after, timeZone);
  const lastYear = Math.min(2199, start.year + 10);
  let first = true;
  for (
    const date = new Date(Date.UTC(start.year, start.month - 1, start.day));
    date.getUTCFullYear() <= lastYear;
  ) {
    const year = date.getUTCFullYear();
    const month = date.getUTCMonth() + 1;
    const day = date.getUTCDate();
    if (
      (fields.years === undefined || fields.years.includes(year)) &&
      fields.months.includes(month) &&
      dayMatches(fields, year, month, day)
    ) {
      for (const hour of fields.hours) {
        if (first && hour < start.hour) continue;
        for (const minute of fields.minutes) {
          const due = instantOf({ year, month, day, hour, minute, second: 0 }, timeZone);
          if (due > after) return due;
        }
      }
    }
    first = false;
    date.setUTCDate(date.getUTCDate() + 1);
  }
  return undefined;
}

/** `2026-03-02T09:00:00Z`: the form Scheduler uses for `<aws.scheduler.scheduled-time>`. */
export const isoSeconds = (instant: number) => new Date(instant).toISOString().replace(/\.\d{3}Z$/, 'Z');
