/**
 * Smarta Orter (seed 000): interviews -> workshop -> results -> plans -> guides, always in this
 * order. Association, business and municipality work together; generations are counted so the
 * results show who was heard, never by name.
 */
import { defineMethod, type MethodInput } from '../domain/method.ts';

type Notifications = NonNullable<MethodInput['stages'][number]['notifications']>['onComplete'];
const facilitatorsTold: Notifications = [{ template: 'stageCompleted', audience: ['facilitator'] }];

export const smartaOrter = defineMethod({
  key: 'smarta-orter',
  version: 1,
  name: { sv: 'Smarta orter', fi: 'Älykkäät taajamat', en: 'Smart Places' },
  summary: {
    sv: 'Strukturerad och inkluderande process som stärker orten genom att ge röst åt dess gemenskap.',
    fi: 'Jäsennelty ja osallistava prosessi, joka vahvistaa taajamaa antamalla äänen sen yhteisölle.',
    en: 'A structured, inclusive process that strengthens a place by giving its community a voice.',
  },
  origin: 'seeds/000 Metod Smarta Orter',
  parameters: {
    minimumInterviews: {
      default: 8,
      min: 1,
      max: 200,
      label: { sv: 'Minsta antal intervjuer', fi: 'Haastattelujen vähimmäismäärä', en: 'Minimum interviews' },
    },
    minimumApprovedPlans: {
      default: 1,
      min: 1,
      max: 50,
      label: {
        sv: 'Minsta antal godkända planer',
        fi: 'Hyväksyttyjä suunnitelmia vähintään',
        en: 'Minimum approved plans',
      },
    },
  },
  stages: [
    {
      key: 'interviews',
      name: { sv: 'Intervjuer', fi: 'Haastattelut', en: 'Interviews' },
      description: {
        sv: 'Intervjuer fångar ortens mångfald: behov, önskemål och utmaningar.',
        fi: 'Haastattelut tavoittavat taajaman moninaisuuden: tarpeet, toiveet ja haasteet.',
        en: "Interviews capture the place's diversity: needs, wishes and challenges.",
      },
      activities: ['interviews'],
      entryTasks: [
        {
          key: 'plan-interviews',
          title: {
            sv: 'Boka intervjuer med förening, företag och kommun',
            fi: 'Sovi haastattelut yhdistysten, yritysten ja kunnan kanssa',
            en: 'Book interviews with associations, businesses and the municipality',
          },
          role: 'facilitator',
          dueInDays: 7,
        },
        {
          key: 'summarise-interviews',
          title: {
            sv: 'Genomför och sammanfatta intervjuerna',
            fi: 'Tee haastattelut ja tiivistä ne',
            en: 'Hold and summarise the interviews',
          },
          role: 'facilitator',
          dueInDays: 35,
        },
      ],
      exitCriteria: [
        { kind: 'count', fact: 'Interview.Summarised', atLeast: { parameter: 'minimumInterviews' } },
      ],
      manualCompletion: true,
      notifications: {
        onStart: [{ template: 'processStarted', audience: ['facilitator'] }],
        onComplete: facilitatorsTold,
      },
    },
    {
      key: 'workshop',
      name: { sv: 'Workshop', fi: 'Työpaja', en: 'Workshop' },
      description: {
        sv: 'Föreningar, företag och kommun möts, diskuterar och genererar idéer.',
        fi: 'Yhdistykset, yritykset ja kunta kokoontuvat keskustelemaan ja ideoimaan.',
        en: 'Associations, businesses and the municipality meet, discuss and generate ideas.',
      },
      activities: ['workshops'],
      entryTasks: [
        {
          key: 'schedule-workshop',
          title: {
            sv: 'Boka tid och lokal för workshopen',
            fi: 'Sovi työpajan aika ja paikka',
            en: 'Book a time and venue for the workshop',
          },
          role: 'facilitator',
          dueInDays: 7,
        },
        {
          key: 'record-workshop',
          title: {
            sv: 'Registrera närvaro och idéer från workshopen',
            fi: 'Kirjaa työpajan osallistujat ja ideat',
            en: 'Record attendance and ideas from the workshop',
          },
          role: 'facilitator',
          dueInDays: 30,
        },
      ],
      exitCriteria: [{ kind: 'count', fact: 'Workshop.Closed', atLeast: 1 }],
      notifications: { onComplete: facilitatorsTold },
    },
    {
      key: 'results',
      name: { sv: 'Resultat', fi: 'Tulokset', en: 'Results' },
      description: {
        sv: 'Intervjuer och workshop sammanställs till en sammanhängande bild av orten.',
        fi: 'Haastattelut ja työpaja kootaan yhtenäiseksi kuvaksi taajamasta.',
        en: 'Interviews and workshop are compiled into one picture of the place.',
      },
      activities: ['results'],
      entryTasks: [
        {
          key: 'review-results',
          title: {
            sv: 'Gå igenom resultatrapporten',
            fi: 'Käy tulosraportti läpi',
            en: 'Review the results report',
          },
          role: 'facilitator',
          dueInDays: 7,
        },
      ],
      exitCriteria: [{ kind: 'count', fact: 'Results.Compiled', atLeast: 1 }],
      notifications: {
        onComplete: [{ template: 'resultsReady', audience: ['participant', 'facilitator'] }],
      },
    },
    {
      key: 'plans',
      name: { sv: 'Planer och idéer', fi: 'Suunnitelmat ja ideat', en: 'Plans and ideas' },
      description: {
        sv: 'Konkreta planer med ägare, partner, aktiviteter och datum, godkända och uppföljda.',
        fi: 'Konkreettiset suunnitelmat omistajineen, kumppaneineen, toimenpiteineen ja päivämäärineen.',
        en: 'Concrete plans with an owner, partners, actions and dates, approved and followed up.',
      },
      activities: ['plans'],
      entryTasks: [
        {
          key: 'draft-plans',
          title: {
            sv: 'Ta fram planer utifrån resultaten',
            fi: 'Laadi suunnitelmat tulosten pohjalta',
            en: 'Draft plans from the results',
          },
          role: 'facilitator',
          dueInDays: 21,
        },
        {
          key: 'confirm-plans',
          title: {
            sv: 'Bekräfta att planerna har ägare och partner',
            fi: 'Varmista, että suunnitelmilla on omistajat ja kumppanit',
            en: 'Confirm that the plans have owners and partners',
          },
          role: 'facilitator',
          dueInDays: 30,
        },
      ],
      exitCriteria: [
        { kind: 'count', fact: 'Plan.Approved', atLeast: { parameter: 'minimumApprovedPlans' } },
        { kind: 'confirmed' },
      ],
      manualCompletion: true,
      notifications: { onComplete: facilitatorsTold },
    },
    {
      key: 'guides',
      name: { sv: 'Guider', fi: 'Oppaat', en: 'Guides' },
      description: {
        sv: 'Det orten lärt sig blir guider och how-to-material för andra.',
        fi: 'Taajaman oppimasta tehdään oppaita ja ohjeita muille.',
        en: 'What the place learned becomes guides and how-to material for others.',
      },
      activities: ['guides'],
      entryTasks: [
        {
          key: 'publish-guide',
          title: {
            sv: 'Granska och publicera guiden',
            fi: 'Tarkista ja julkaise opas',
            en: 'Review and publish the guide',
          },
          role: 'facilitator',
          dueInDays: 14,
        },
      ],
      exitCriteria: [{ kind: 'count', fact: 'Guide.Published', atLeast: 1 }],
      notifications: {
        onComplete: [
          { template: 'guidePublished', audience: ['participant', 'planOwner', 'partner', 'facilitator'] },
        ],
      },
    },
  ],
});
