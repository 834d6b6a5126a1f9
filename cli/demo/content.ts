/**
 * Realistic generated content for demos: places of Jämtland Härjedalen and the Idésluss
 * municipalities, a sector mix, interview summaries and workshop ideas in Swedish. Seeded, so the
 * same seed gives the same demo.
 */
import type { AgeGroup, Sector } from '../../events/vocabulary.ts';

export interface DemoPlace {
  placeId: string;
  name: string;
  municipality: string;
  region: string;
  population: number;
}

const places: [name: string, municipality: string, region: string, population: number][] = [
  ['Hede', 'Härjedalen', 'Jämtlands län', 760],
  ['Funäsdalen', 'Härjedalen', 'Jämtlands län', 1000],
  ['Vemdalen', 'Härjedalen', 'Jämtlands län', 330],
  ['Sveg', 'Härjedalen', 'Jämtlands län', 2500],
  ['Lillhärdal', 'Härjedalen', 'Jämtlands län', 370],
  ['Ytterhogdal', 'Härjedalen', 'Jämtlands län', 480],
  ['Hammarstrand', 'Ragunda', 'Jämtlands län', 1100],
  ['Bispgården', 'Ragunda', 'Jämtlands län', 620],
  ['Föllinge', 'Krokom', 'Jämtlands län', 480],
  ['Hammerdal', 'Strömsund', 'Jämtlands län', 1000],
  ['Gäddede', 'Strömsund', 'Jämtlands län', 450],
  ['Backe', 'Strömsund', 'Jämtlands län', 520],
  ['Hoting', 'Strömsund', 'Jämtlands län', 620],
  ['Järpen', 'Åre', 'Jämtlands län', 1600],
  ['Undersåker', 'Åre', 'Jämtlands län', 640],
  ['Duved', 'Åre', 'Jämtlands län', 740],
  ['Hallen', 'Åre', 'Jämtlands län', 250],
  ['Oviken', 'Berg', 'Jämtlands län', 300],
  ['Myrviken', 'Berg', 'Jämtlands län', 370],
  ['Gällö', 'Bräcke', 'Jämtlands län', 420],
  ['Kälarne', 'Bräcke', 'Jämtlands län', 420],
  ['Hackås', 'Berg', 'Jämtlands län', 600],
  ['Brunflo', 'Östersund', 'Jämtlands län', 3900],
  ['Lit', 'Östersund', 'Jämtlands län', 1000],
  ['Rätan', 'Berg', 'Jämtlands län', 200],
  ['Mattmar', 'Åre', 'Jämtlands län', 280],
  ['Mörsil', 'Åre', 'Jämtlands län', 780],
  ['Nälden', 'Krokom', 'Jämtlands län', 1300],
  ['Aspås', 'Krokom', 'Jämtlands län', 460],
  ['Överhogdal', 'Härjedalen', 'Jämtlands län', 160],
  ['Sommen', 'Tranås', 'Jönköpings län', 800],
  ['Gripenberg', 'Tranås', 'Jönköpings län', 150],
  ['Kisa', 'Kinda', 'Östergötlands län', 3600],
  ['Rimforsa', 'Kinda', 'Östergötlands län', 2300],
  ['Horn', 'Kinda', 'Östergötlands län', 420],
  ['Aneby', 'Aneby', 'Jönköpings län', 3500],
  ['Frinnaryd', 'Aneby', 'Jönköpings län', 220],
  ['Österbymo', 'Ydre', 'Östergötlands län', 800],
  ['Rydsnäs', 'Ydre', 'Östergötlands län', 200],
  ['Asby', 'Ydre', 'Östergötlands län', 160],
];

export const themes = [
  'mötesplatser',
  'kommunikationer',
  'bostäder',
  'service',
  'friluftsliv',
  'näringsliv',
  'skola och barnomsorg',
  'kultur',
  'äldreomsorg',
  'digital infrastruktur',
  'turism',
  'föreningsliv',
];

const needs = [
  'En mötesplats för unga på kvällarna',
  'Hyresrätter för unga vuxna och nyinflyttade',
  'Laddstolpar vid affären',
  'Bättre mobiltäckning längs vägen in till byn',
  'En dagligvarubutik som har öppet året runt',
  'Barnomsorg på obekväm arbetstid',
  'Ett gemensamt evenemangskalender för föreningarna',
  'Upprustade skoterleder och vandringsleder',
];
const wishes = [
  'Rusta upp badplatsen',
  'Ett bygdekafé i skolans gamla matsal',
  'Fler sommarjobb för ungdomar hos lokala företag',
  'En marknadsdag varje höst',
  'Kommunen på plats i byn en dag i månaden',
  'Ett coworkingrum med bra uppkoppling',
  'En gemensam webbplats för bygden',
];
const challenges = [
  'Bussen går för sällan',
  'Ideella krafter räcker inte till',
  'Svårt att få tag på bostad',
  'Unga flyttar och kommer inte tillbaka',
  'Lång väg till vårdcentralen',
  'Företagen hittar inte arbetskraft',
];
const quotes = [
  'Vi har allt här utom en plats att ses.',
  'Det är föreningarna som håller ihop byn.',
  'Jag vill kunna bo kvar när jag blir gammal.',
  'Turisterna kommer, men de vet inte vad som finns.',
  'Om bussen gick på kvällen skulle min dotter kunna träna i stan.',
  'Kommunen lyssnar när vi kommer tillsammans.',
];
const ideaTitles = [
  'Ny brygga vid badplatsen',
  'Bygdekafé med öppet hus på torsdagar',
  'Samåkningsgrupp till tätorten',
  'Lokal bostadsstiftelse',
  'Ungdomsråd med egen budget',
  'Skyltning av vandringsleder',
  'Byns egen laddstation',
  'Höstmarknad med lokala producenter',
  'Läxhjälp med pensionärer',
  'Sommarjobbsmässa med företagen',
  'Fiber till de sista hushållen',
  'Välkomstpaket för nyinflyttade',
  'Föreningarnas gemensamma kalender',
  'Servicepunkt i affären',
  'Skidspår med belysning',
];

/** mulberry32: small, fast and good enough for generated content. */
export function seededRandom(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const some = <T>(items: readonly T[], min: number, max: number): T[] => {
    const copy = [...items];
    const chosen: T[] = [];
    for (let n = int(min, Math.min(max, copy.length)); n > 0; n--)
      chosen.push(copy.splice(int(0, copy.length - 1), 1)[0] as T);
    return chosen;
  };
  return { next, int, pick, some };
}
export type Random = ReturnType<typeof seededRandom>;

export function demoPlaces(count: number, prefix = ''): DemoPlace[] {
  return Array.from({ length: count }, (_, i) => {
    const [name, municipality, region, population] = places[i % places.length] as (typeof places)[number];
    const round = Math.floor(i / places.length);
    const slug = name
      .toLowerCase()
      .normalize('NFD')
      .replace(/[\u0300-\u036f]/g, '')
      .replace(/[^a-z0-9]+/g, '-');
    return {
      placeId: `${prefix}${slug}${round ? `-${round + 1}` : ''}`,
      name: round ? `${name} ${round + 1}` : name,
      municipality,
      region,
      population,
    };
  });
}

/** The sector mix of Smarta Orter: associations, businesses and the municipality first. */
export function sectorOf(random: Random): Sector {
  const roll = random.next();
  if (roll < 0.35) return 'association';
  if (roll < 0.6) return 'business';
  if (roll < 0.8) return 'municipality';
  if (roll < 0.9) return 'resident';
  return 'education';
}

export function ageGroupOf(random: Random): AgeGroup {
  return random.pick(['under18', 'age18to29', 'age30to49', 'age30to49', 'age50to64', 'age65plus'] as const);
}

export function interviewSummary(random: Random) {
  return {
    needs: random.some(needs, 1, 3),
    wishes: random.some(wishes, 1, 2),
    challenges: random.some(challenges, 1, 2),
    quotes: random.some(quotes, 0, 1),
    themes: random.some(themes, 1, 3),
  };
}

export function workshopIdeas(random: Random, count: number) {
  return random.some(ideaTitles, count, count).map((title, i) => ({
    ideaId: `idea-${i + 1}`,
    title,
    votes: random.int(0, 20),
    proposedBy: sectorOf(random),
    themes: random.some(themes, 1, 2),
  }));
}
