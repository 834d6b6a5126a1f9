/**
 * Renders one email for one recipient: the template's content in the recipient's language, laid out
 * as a plain-text part and an HTML part (inline styles, since mail clients drop style sheets).
 * Dates are shown in the place's time zone; a participant's email ends with its unsubscribe link.
 */
import type { Template } from '../../events/catalog.ts';
import type { Locale } from '../../events/vocabulary.ts';
import { methodByKey } from '../methods/index.ts';
import { escapeHtml, formatDate, formatDateTime, formatTime, timeZones } from '../reports/format.ts';
import {
  type MailContent,
  type MailTexts,
  MissingMailDataError,
  mailFrame,
  mailTemplates,
} from './templates.ts';

/** What one notification is about, independent of the reader's language. */
export interface MailFacts {
  placeName: string;
  municipality: string;
  /** The method key; its name is shown in the reader's language. */
  method: string;
  /** The place's time zone; by default that of the process language. */
  timeZone?: string;
  stage?: string;
  nextStage?: string;
  workshop?: { startsAt: string; endsAt: string; venue: string };
  reportUrl?: string;
  guideUrl?: string;
  plan?: { title: string; owner: string };
  task?: { key: string; dueAt?: string };
}

export interface MailReader {
  name?: string;
  /** Set for participants: the link that ends their emails (shared/mail/unsubscribe.ts). */
  unsubscribeUrl?: string;
}

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

/** The facts in one language: names of stages and tasks, dates in the place's time zone. */
export function mailTexts(facts: MailFacts, locale: Locale): MailTexts {
  const method = methodByKey(facts.method);
  const timeZone = facts.timeZone ?? timeZones.sv;
  const stageName = (key: string) => method.stages.find((s) => s.key === key)?.name[locale] ?? key;
  const taskTitle = (key: string) =>
    method.stages.flatMap((s) => s.entryTasks).find((task) => task.key === key)?.title[locale] ?? key;
  const texts: MailTexts = {
    place: facts.placeName,
    municipality: facts.municipality,
    method: method.name[locale],
  };
  if (facts.stage) texts.stage = stageName(facts.stage);
  if (facts.nextStage) texts.nextStage = stageName(facts.nextStage);
  if (facts.workshop) {
    const { startsAt, endsAt, venue } = facts.workshop;
    const sameDay = formatDate(startsAt, locale, timeZone) === formatDate(endsAt, locale, timeZone);
    texts.workshopWhen = `${formatDateTime(startsAt, locale, timeZone)}–${
      sameDay ? formatTime(endsAt, locale, timeZone) : formatDateTime(endsAt, locale, timeZone)
    }`;
    texts.venue = venue;
  }
  if (facts.reportUrl) texts.reportUrl = facts.reportUrl;
  if (facts.guideUrl) texts.guideUrl = facts.guideUrl;
  if (facts.plan) {
    texts.plan = facts.plan.title;
    texts.owner = facts.plan.owner;
  }
  if (facts.task) {
    texts.task = taskTitle(facts.task.key);
    if (facts.task.dueAt) texts.due = formatDate(facts.task.dueAt, locale, timeZone);
  }
  return texts;
}

export function mailContent(template: Template, locale: Locale, texts: MailTexts): MailContent {
  const need = (field: keyof MailTexts) => {
    const value = texts[field];
    if (!value) throw new MissingMailDataError(template, field);
    return value;
  };
  return mailTemplates[template][locale](texts, need);
}

export function renderEmail(
  template: Template,
  locale: Locale,
  facts: MailFacts,
  reader: MailReader = {},
): RenderedEmail {
  const texts = mailTexts(facts, locale);
  const content = mailContent(template, locale, texts);
  const frame = mailFrame[locale];
  const greeting = frame.greeting(reader.name);
  const [signOff, signature] = frame.signOff(texts);
  const details = content.details ?? [];

  const text = [
    greeting,
    '',
    ...content.paragraphs.flatMap((p) => [p, '']),
    ...(details.length ? [...details.map(([label, value]) => `${label}: ${value}`), ''] : []),
    ...(content.action ? [`${content.action.label}: ${content.action.url}`, ''] : []),
    signOff,
    signature,
    ...(reader.unsubscribeUrl
      ? ['', '--', frame.why(texts), `${frame.unsubscribe}: ${reader.unsubscribeUrl}`]
      : []),
    '',
  ].join('\n');

  const e = escapeHtml;
  const html = `<!doctype html>
<html lang="${locale}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${e(content.subject)}</title></head>
<body style="margin:0;padding:0;background:#f4f5f7;">
<div style="max-width:560px;margin:0 auto;padding:24px;background:#ffffff;color:#1b1b1b;font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;font-size:16px;line-height:1.5;">
<p>${e(greeting)}</p>
${content.paragraphs.map((p) => `<p>${e(p)}</p>`).join('\n')}
${
  details.length
    ? `<table role="presentation" style="border-collapse:collapse;margin:8px 0 16px;">${details
        .map(
          ([label, value]) =>
            `<tr><th scope="row" style="text-align:left;padding:2px 16px 2px 0;vertical-align:top;">${e(label)}</th><td style="padding:2px 0;">${e(value)}</td></tr>`,
        )
        .join('')}</table>`
    : ''
}
${
  content.action
    ? `<p style="margin:24px 0;"><a href="${e(content.action.url)}" style="display:inline-block;background:#1f5f8b;color:#ffffff;padding:10px 18px;border-radius:4px;text-decoration:none;">${e(content.action.label)}</a></p>`
    : ''
}
<p>${e(signOff)}<br>${e(signature)}</p>
${
  reader.unsubscribeUrl
    ? `<hr style="border:none;border-top:1px solid #dddddd;margin:24px 0 12px;">
<p style="font-size:12px;color:#555555;">${e(frame.why(texts))} <a href="${e(reader.unsubscribeUrl)}" style="color:#555555;">${e(frame.unsubscribe)}</a></p>`
    : ''
}
</div>
</body>
</html>
`;
  return { subject: content.subject, text, html };
}
