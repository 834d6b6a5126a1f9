/**
 * Every email the pipeline sends, in Swedish, Finnish and English. A template turns the facts of one
 * notification (already in the reader's language: names of stages, dates, links) into a subject,
 * paragraphs, optional details and one optional call to action; render.ts lays that out as text and HTML.
 * The catalog's template list is the key set, so a template or a language cannot be forgotten.
 */
import type { Template } from '../../events/catalog.ts';
import type { Locale } from '../../events/vocabulary.ts';

/** The facts a template may use, as they read in the recipient's language. */
export interface MailTexts {
  place: string;
  municipality: string;
  method: string;
  stage?: string;
  nextStage?: string;
  /** The workshop's date and time span, e.g. "tisdag 14 april 2026 18:00–21:00 CEST". */
  workshopWhen?: string;
  venue?: string;
  reportUrl?: string;
  guideUrl?: string;
  plan?: string;
  owner?: string;
  task?: string;
  due?: string;
}

export interface MailContent {
  subject: string;
  paragraphs: string[];
  details?: [string, string][];
  action?: { label: string; url: string };
}

export class MissingMailDataError extends Error {
  override readonly name = 'MissingMailDataError';
  constructor(template: string, field: string) {
    super(`the ${template} email needs ${field}, which the process does not have (yet)`);
  }
}

type Build = (t: MailTexts, need: (field: keyof MailTexts) => string) => MailContent;

export const mailTemplates: Record<Template, Record<Locale, Build>> = {
  processStarted: {
    sv: (t, need) => ({
      subject: `${t.method} har startat i ${t.place}`,
      paragraphs: [
        `Processen för ${t.place} i ${t.municipality} har startat. Första steget: ${need('stage')}.`,
        'Du är processledare. Dina uppgifter väntar i samskapa.',
      ],
    }),
    fi: (t, need) => ({
      subject: `${t.method} on alkanut: ${t.place}`,
      paragraphs: [
        `Prosessi on alkanut: ${t.place} (${t.municipality}). Ensimmäinen vaihe: ${need('stage')}.`,
        'Olet prosessin fasilitaattori. Tehtäväsi odottavat samskapassa.',
      ],
    }),
    en: (t, need) => ({
      subject: `${t.method} has started in ${t.place}`,
      paragraphs: [
        `The process for ${t.place} in ${t.municipality} has started. First stage: ${need('stage')}.`,
        'You are a facilitator of the process. Your tasks are waiting in samskapa.',
      ],
    }),
  },
  stageStarted: {
    sv: (t, need) => ({
      subject: `Steget ${need('stage')} har börjat i ${t.place}`,
      paragraphs: [`${t.place} har gått vidare till steget ${need('stage')}.`],
    }),
    fi: (t, need) => ({
      subject: `Vaihe alkoi: ${need('stage')} (${t.place})`,
      paragraphs: [`Uusi vaihe on alkanut: ${need('stage')} (${t.place}).`],
    }),
    en: (t, need) => ({
      subject: `The ${need('stage')} stage has started in ${t.place}`,
      paragraphs: [`${t.place} has moved on to the ${need('stage')} stage.`],
    }),
  },
  stageCompleted: {
    sv: (t, need) => ({
      subject: `${need('stage')} är klart i ${t.place}`,
      paragraphs: [
        `Steget ${need('stage')} är klart i ${t.place}.`,
        t.nextStage ? `Nästa steg: ${t.nextStage}.` : 'Det var processens sista steg.',
      ],
    }),
    fi: (t, need) => ({
      subject: `Vaihe valmis: ${need('stage')} (${t.place})`,
      paragraphs: [
        `Vaihe on valmis: ${need('stage')} (${t.place}).`,
        t.nextStage ? `Seuraava vaihe: ${t.nextStage}.` : 'Se oli prosessin viimeinen vaihe.',
      ],
    }),
    en: (t, need) => ({
      subject: `${need('stage')} is complete in ${t.place}`,
      paragraphs: [
        `The ${need('stage')} stage is complete in ${t.place}.`,
        t.nextStage ? `Next stage: ${t.nextStage}.` : 'That was the last stage of the process.',
      ],
    }),
  },
  workshopInvitation: {
    sv: (t, need) => ({
      subject: `Inbjudan till workshop i ${t.place}`,
      paragraphs: [
        `Välkommen till en workshop där föreningar, företag och kommun tillsammans tar fram idéer för ${t.place}.`,
        'En kalenderinbjudan finns bifogad.',
      ],
      details: [
        ['Tid', need('workshopWhen')],
        ['Plats', need('venue')],
      ],
    }),
    fi: (t, need) => ({
      subject: `Kutsu työpajaan: ${t.place}`,
      paragraphs: [
        `Tervetuloa työpajaan, jossa yhdistykset, yritykset ja kunta ideoivat yhdessä taajaman ${t.place} tulevaisuutta.`,
        'Kalenterikutsu on liitteenä.',
      ],
      details: [
        ['Aika', need('workshopWhen')],
        ['Paikka', need('venue')],
      ],
    }),
    en: (t, need) => ({
      subject: `Invitation: workshop in ${t.place}`,
      paragraphs: [
        `You are invited to a workshop where associations, businesses and the municipality develop ideas for ${t.place} together.`,
        'A calendar invitation is attached.',
      ],
      details: [
        ['Time', need('workshopWhen')],
        ['Venue', need('venue')],
      ],
    }),
  },
  resultsReady: {
    sv: (t, need) => ({
      subject: `Resultaten från ${t.place} är klara`,
      paragraphs: [
        `Intervjuerna och workshopen i ${t.place} är sammanställda till en bild av orten: teman, behov, önskemål och idéer.`,
      ],
      action: { label: 'Läs rapporten', url: need('reportUrl') },
    }),
    fi: (t, need) => ({
      subject: `Tulokset valmiina: ${t.place}`,
      paragraphs: [
        `Taajaman ${t.place} haastattelut ja työpaja on koottu yhdeksi kuvaksi: teemat, tarpeet, toiveet ja ideat.`,
      ],
      action: { label: 'Lue raportti', url: need('reportUrl') },
    }),
    en: (t, need) => ({
      subject: `The results from ${t.place} are ready`,
      paragraphs: [
        `The interviews and the workshop in ${t.place} are compiled into one picture of the place: themes, needs, wishes and ideas.`,
      ],
      action: { label: 'Read the report', url: need('reportUrl') },
    }),
  },
  planApproved: {
    sv: (t, need) => ({
      subject: `Planen ”${need('plan')}” är godkänd`,
      paragraphs: [
        `Planen ”${need('plan')}” för ${t.place} är godkänd, med ${need('owner')} som ägare.`,
        'Nu genomförs aktiviteterna, och läget rapporteras tills planen är klar.',
      ],
    }),
    fi: (t, need) => ({
      subject: `Suunnitelma hyväksytty: ${need('plan')}`,
      paragraphs: [
        `Suunnitelma ”${need('plan')}” (${t.place}) on hyväksytty. Omistaja: ${need('owner')}.`,
        'Seuraavaksi toimenpiteet toteutetaan, ja etenemisestä raportoidaan, kunnes suunnitelma on valmis.',
      ],
    }),
    en: (t, need) => ({
      subject: `The plan “${need('plan')}” is approved`,
      paragraphs: [
        `The plan “${need('plan')}” for ${t.place} is approved, with ${need('owner')} as its owner.`,
        'Next, the actions are carried out and progress is reported until the plan is done.',
      ],
    }),
  },
  guidePublished: {
    sv: (t, need) => ({
      subject: `Guiden från ${t.place} är publicerad`,
      paragraphs: [`Det ${t.place} har gjort och lärt sig finns nu som en guide för andra orter.`],
      action: { label: 'Läs guiden', url: need('guideUrl') },
    }),
    fi: (t, need) => ({
      subject: `Opas julkaistu: ${t.place}`,
      paragraphs: [`Taajaman ${t.place} kokemukset ja opit on nyt koottu oppaaksi muille taajamille.`],
      action: { label: 'Lue opas', url: need('guideUrl') },
    }),
    en: (t, need) => ({
      subject: `The guide from ${t.place} is published`,
      paragraphs: [`What ${t.place} did and learned is now a guide for other places.`],
      action: { label: 'Read the guide', url: need('guideUrl') },
    }),
  },
  taskAssigned: {
    sv: (t, need) => ({
      subject: `Ny uppgift: ${need('task')}`,
      paragraphs: [`Du har en ny uppgift i ${t.place}: ${need('task')}.`],
      ...(t.due ? { details: [['Klart senast', t.due]] } : {}),
    }),
    fi: (t, need) => ({
      subject: `Uusi tehtävä: ${need('task')}`,
      paragraphs: [`Sinulla on uusi tehtävä (${t.place}): ${need('task')}.`],
      ...(t.due ? { details: [['Määräaika', t.due]] } : {}),
    }),
    en: (t, need) => ({
      subject: `New task: ${need('task')}`,
      paragraphs: [`You have a new task in ${t.place}: ${need('task')}.`],
      ...(t.due ? { details: [['Due', t.due]] } : {}),
    }),
  },
  taskOverdue: {
    sv: (t, need) => ({
      subject: `Försenad uppgift: ${need('task')}`,
      paragraphs: [
        `Uppgiften ”${need('task')}” i ${t.place} skulle ha varit klar ${need('due')}.`,
        'Markera den som klar i samskapa när den är gjord.',
      ],
    }),
    fi: (t, need) => ({
      subject: `Myöhässä oleva tehtävä: ${need('task')}`,
      paragraphs: [
        `Tehtävän ”${need('task')}” (${t.place}) määräaika oli ${need('due')}.`,
        'Merkitse se valmiiksi samskapassa, kun se on tehty.',
      ],
    }),
    en: (t, need) => ({
      subject: `Overdue task: ${need('task')}`,
      paragraphs: [
        `The task “${need('task')}” in ${t.place} was due ${need('due')}.`,
        'Mark it done in samskapa once it is.',
      ],
    }),
  },
  processCompleted: {
    sv: (t) => ({
      subject: `${t.method} i ${t.place} är avslutad`,
      paragraphs: ['Alla steg är genomförda. Tack till alla som har varit med!'],
    }),
    fi: (t) => ({
      subject: `${t.method} on päättynyt: ${t.place}`,
      paragraphs: ['Kaikki vaiheet on käyty läpi. Kiitos kaikille mukana olleille!'],
    }),
    en: (t) => ({
      subject: `${t.method} in ${t.place} is complete`,
      paragraphs: ['All stages are done. Thank you to everyone who took part!'],
    }),
  },
};

/** What every email says around its content: greeting, sign-off and, for participants, how to unsubscribe. */
export const mailFrame: Record<
  Locale,
  {
    greeting: (name: string | undefined) => string;
    signOff: (t: MailTexts) => [string, string];
    why: (t: MailTexts) => string;
    unsubscribe: string;
  }
> = {
  sv: {
    greeting: (name) => (name ? `Hej ${name}!` : 'Hej!'),
    signOff: (t) => ['Hälsningar', `${t.method} i ${t.place}`],
    why: (t) => `Du får det här mejlet eftersom du deltar i ${t.method} i ${t.place}.`,
    unsubscribe: 'Avsluta utskicken',
  },
  fi: {
    greeting: (name) => (name ? `Hei ${name}!` : 'Hei!'),
    signOff: (t) => ['Terveisin', `${t.method}, ${t.place}`],
    why: (t) => `Saat tämän viestin, koska osallistut: ${t.method}, ${t.place}.`,
    unsubscribe: 'Peru viestit',
  },
  en: {
    greeting: (name) => (name ? `Hello ${name},` : 'Hello,'),
    signOff: (t) => ['Best regards', `${t.method} in ${t.place}`],
    why: (t) => `You receive this email because you take part in ${t.method} in ${t.place}.`,
    unsubscribe: 'Unsubscribe',
  },
};
