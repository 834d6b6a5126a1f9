/**
 * The shared words of every event: sectors, age groups, locales and localised text. Sectors are the
 * three of Smarta Orter (association, business, municipality) plus those the sister methods count
 * (education from Vuorovaikutteinen tilannekuva, residents, other).
 */
import * as z from 'zod';

export const locales = ['sv', 'fi', 'en'] as const;
export const Locale = z.enum(locales).describe('User-facing language; sv is the default.');
export type Locale = z.infer<typeof Locale>;
export const DEFAULT_LOCALE: Locale = 'sv';

/** Every human-readable string the product writes exists in all three languages. */
export const Localized = z.object({ sv: z.string().min(1), fi: z.string().min(1), en: z.string().min(1) });
export type Localized = z.infer<typeof Localized>;

export const sectors = ['association', 'business', 'municipality', 'education', 'resident', 'other'] as const;
export const Sector = z.enum(sectors);
export type Sector = z.infer<typeof Sector>;

export const sectorLabels: Record<Sector, Localized> = {
  association: { sv: 'Förening', fi: 'Yhdistys', en: 'Association' },
  business: { sv: 'Företag', fi: 'Yritys', en: 'Business' },
  municipality: { sv: 'Kommun', fi: 'Kunta', en: 'Municipality' },
  education: { sv: 'Utbildning', fi: 'Oppilaitos', en: 'Education' },
  resident: { sv: 'Invånare', fi: 'Asukas', en: 'Resident' },
  other: { sv: 'Övrigt', fi: 'Muu', en: 'Other' },
};

/** Generations, for generationssamverkan: results are counted by age group, never by name. */
export const ageGroups = ['under18', 'age18to29', 'age30to49', 'age50to64', 'age65plus'] as const;
export const AgeGroup = z.enum(ageGroups);
export type AgeGroup = z.infer<typeof AgeGroup>;

export const ageGroupLabels: Record<AgeGroup, Localized> = {
  under18: { sv: 'Under 18 år', fi: 'Alle 18-vuotiaat', en: 'Under 18' },
  age18to29: { sv: '18–29 år', fi: '18–29-vuotiaat', en: '18–29' },
  age30to49: { sv: '30–49 år', fi: '30–49-vuotiaat', en: '30–49' },
  age50to64: { sv: '50–64 år', fi: '50–64-vuotiaat', en: '50–64' },
  age65plus: { sv: '65 år och äldre', fi: '65 vuotta täyttäneet', en: '65 and over' },
};

/** Who takes part in a process, by role; tasks and notifications are addressed to roles. */
export const roles = ['facilitator', 'coordinator', 'participant', 'planOwner', 'partner', 'ops'] as const;
export const Role = z.enum(roles);
export type Role = z.infer<typeof Role>;

export const roleLabels: Record<Role, Localized> = {
  facilitator: { sv: 'Processledare', fi: 'Fasilitaattori', en: 'Facilitator' },
  coordinator: { sv: 'Samordnare', fi: 'Koordinaattori', en: 'Coordinator' },
  participant: { sv: 'Deltagare', fi: 'Osallistuja', en: 'Participant' },
  planOwner: { sv: 'Planägare', fi: 'Suunnitelman omistaja', en: 'Plan owner' },
  partner: { sv: 'Partner', fi: 'Kumppani', en: 'Partner' },
  ops: { sv: 'Drift', fi: 'Ylläpito', en: 'Operations' },
};

export function localize(text: Localized, locale: Locale): string {
  return text[locale];
}
