/**
 * The console's languages: Swedish (the default), Finnish and English. Each view keeps its own
 * messages beside it (`defineMessages`), so every text exists in all three languages by type: a key
 * missing in one of them does not compile.
 */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';

export const LOCALES = ['sv', 'fi', 'en'] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = 'sv';

/** The language names, each in its own language (what a language picker shows). */
export const LOCALE_NAMES: Record<Locale, string> = { sv: 'Svenska', fi: 'Suomi', en: 'English' };
const INTL_LOCALE: Record<Locale, string> = { sv: 'sv-SE', fi: 'fi-FI', en: 'en-GB' };

export type Messages<K extends string> = Record<Locale, Record<K, string>>;

export function defineMessages<const K extends string>(messages: {
  en: Record<K, string>;
  sv: Record<K, string>;
  fi: Record<K, string>;
}): Messages<K> {
  return messages;
}

export const LocaleContext = createContext<Locale>(DEFAULT_LOCALE);

export interface Translate<K extends string> {
  (key: K, values?: Record<string, string | number>): string;
  locale: Locale;
  number(value: number, options?: Intl.NumberFormatOptions): string;
  dateTime(value: string | number | Date): string;
  time(value: string | number | Date): string;
  /** "3 d 4 h", "12 min": a duration at the two largest units. */
  duration(seconds: number): string;
}

const UNITS: Record<Locale, { d: string; h: string; min: string; s: string }> = {
  sv: { d: 'd', h: 'h', min: 'min', s: 's' },
  fi: { d: 'pv', h: 'h', min: 'min', s: 's' },
  en: { d: 'd', h: 'h', min: 'min', s: 's' },
};

export function translator<K extends string>(messages: Messages<K>, locale: Locale): Translate<K> {
  const table = messages[locale];
  const intl = INTL_LOCALE[locale];
  const t = ((key: K, values?: Record<string, string | number>) => {
    const text = table[key];
    if (!values) return text;
    return text.replace(/\{(\w+)\}/g, (whole, name: string) => {
      const value = values[name];
      if (value === undefined) return whole;
      return typeof value === 'number' ? value.toLocaleString(intl) : value;
    });
  }) as Translate<K>;
  t.locale = locale;
  t.number = (value, options) => value.toLocaleString(intl, options);
  t.dateTime = (value) => new Date(value).toLocaleString(intl, { dateStyle: 'short', timeStyle: 'medium' });
  t.time = (value) => new Date(value).toLocaleTimeString(intl, { hour12: false });
  t.duration = (seconds) => {
    const units = UNITS[locale];
    const parts: [number, string][] = [
      [Math.floor(seconds / 86_400), units.d],
      [Math.floor((seconds % 86_400) / 3_600), units.h],
      [Math.floor((seconds % 3_600) / 60), units.min],
      [Math.floor(seconds % 60), units.s],
    ];
    const first = parts.findIndex(([value]) => value > 0);
    if (first < 0) return `0 ${units.s}`;
    return parts
      .slice(first, first + 2)
      .filter(([value]) => value > 0)
      .map(([value, unit]) => `${value} ${unit}`)
      .join(' ');
  };
  return t;
}

/** The view's messages in the language the user picked. */
export function useMessages<K extends string>(messages: Messages<K>): Translate<K> {
  return translator(messages, useContext(LocaleContext));
}

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value);
}
