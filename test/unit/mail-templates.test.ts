/** Every email in every language, the unsubscribe link of participant emails, and the invitation's calendar file. */
import { describe, expect, it } from 'vitest';
import { type Template, templates } from '../../events/catalog.ts';
import { type Locale, locales } from '../../events/vocabulary.ts';
import { escapeText, foldLine, workshopIcs } from '../../shared/mail/ics.ts';
import { type MailFacts, mailTexts, renderEmail } from '../../shared/mail/render.ts';
import { composeRaw, rejectionDetail, sendEmailInput } from '../../shared/mail/sender.ts';
import { MissingMailDataError, mailTemplates } from '../../shared/mail/templates.ts';

const facts: MailFacts = {
  placeName: 'Hede',
  municipality: 'Härjedalen',
  method: 'smarta-orter',
  timeZone: 'Europe/Stockholm',
  stage: 'workshop',
  nextStage: 'results',
  workshop: {
    startsAt: '2026-04-14T16:00:00.000Z',
    endsAt: '2026-04-14T19:00:00.000Z',
    venue: 'Hede bygdegård',
  },
  reportUrl:
    'https://files.example/reports/org-jh/hede/proc-hede/report.html?X-Amz-Signature=abc&X-Amz-Expires=604800',
  guideUrl: 'https://api.example/guides/org-jh/hede',
  plan: { title: 'Ny brygga vid badplatsen', owner: 'Hede byalag' },
  task: { key: 'schedule-workshop', dueAt: '2026-03-16T09:00:00.000Z' },
};
const reader = { name: 'Anna', unsubscribeUrl: 'https://api.example/unsubscribe/WyJvcmctamgiXQ' };

describe('the templates', () => {
  it('cover every template of the catalog in sv, fi and en', () => {
    expect(Object.keys(mailTemplates).sort()).toEqual([...templates].sort());
    for (const template of templates)
      expect(Object.keys(mailTemplates[template]).sort()).toEqual([...locales].sort());
  });

  const cases = templates.flatMap((template) => locales.map((locale) => [template, locale] as const));
  it.each(cases)('%s renders in %s with nothing missing', (template: Template, locale: Locale) => {
    const email = renderEmail(template, locale, facts, reader);
    expect(email.subject.length).toBeGreaterThan(5);
    for (const part of [email.subject, email.text, email.html]) {
      // (word boundaries: Finnish "Sinulla" contains "null")
      expect(part).not.toMatch(/\bundefined\b|\bnull\b|\bNaN\b|\[object|\{\w+\}/);
    }
    expect(email.text).toContain(reader.name);
    expect(email.html).toContain(`<html lang="${locale}">`);
    expect(email.html).toContain(
      `<title>${email.subject.replace(/&/g, '&amp;').replace(/"/g, '&quot;')}</title>`,
    );
  });

  it('says the same thing differently in each language', () => {
    for (const template of templates) {
      const subjects = locales.map((locale) => renderEmail(template, locale, facts).subject);
      expect(new Set(subjects).size, template).toBe(3);
    }
  });

  it('names stages, tasks and the method in the reader language and dates in the place time zone', () => {
    expect(mailTexts(facts, 'sv')).toMatchObject({
      method: 'Smarta orter',
      stage: 'Workshop',
      nextStage: 'Resultat',
      task: 'Boka tid och lokal för workshopen',
      due: '16 mars 2026',
    });
    expect(mailTexts(facts, 'fi')).toMatchObject({ nextStage: 'Tulokset', due: '16. maaliskuuta 2026' });
    // 16:00Z is 18:00 in Stockholm in April (CEST); the end time carries the zone.
    expect(mailTexts(facts, 'sv').workshopWhen).toMatch(/^tisdag 14 april 2026 (kl\. )?18:00–21:00 CEST$/);
    expect(mailTexts({ ...facts, timeZone: 'Europe/Helsinki' }, 'en').workshopWhen).toMatch(
      /19:00–22:00 EEST/,
    );
  });

  it('refuses to send an email whose facts are missing rather than print a gap', () => {
    const { reportUrl: _r, ...withoutReport } = facts;
    expect(() => renderEmail('resultsReady', 'sv', withoutReport)).toThrow(MissingMailDataError);
    const { workshop: _w, ...withoutWorkshop } = facts;
    expect(() => renderEmail('workshopInvitation', 'fi', withoutWorkshop)).toThrow(/workshopWhen/);
  });

  it('links the report and the guide, escaped in HTML', () => {
    const results = renderEmail('resultsReady', 'en', facts);
    expect(results.text).toContain(`Read the report: ${facts.reportUrl}`);
    expect(results.html).toContain(`href="${facts.reportUrl?.replace(/&/g, '&amp;')}"`);
    expect(renderEmail('guidePublished', 'sv', facts).text).toContain(`Läs guiden: ${facts.guideUrl}`);
  });

  it('promises no expiry for the report link: it is stable, the API presigns on each visit', () => {
    for (const locale of ['sv', 'fi', 'en'] as const) {
      expect(renderEmail('resultsReady', locale, facts).text).not.toMatch(
        /sju dagar|seitsemän päivää|seven days/,
      );
    }
  });

  it('escapes what people typed', () => {
    const email = renderEmail('planApproved', 'en', {
      ...facts,
      plan: { title: '<script>alert(1)</script>', owner: 'A & B' },
    });
    expect(email.html).not.toContain('<script>');
    expect(email.html).toContain('&lt;script&gt;');
    expect(email.html).toContain('A &amp; B');
  });
});

describe('participant emails', () => {
  it('end with the unsubscribe link, in text and HTML; others do not', () => {
    const email = renderEmail('resultsReady', 'sv', facts, reader);
    expect(email.text).toContain(`Avsluta utskicken: ${reader.unsubscribeUrl}`);
    expect(email.html).toContain(`href="${reader.unsubscribeUrl}"`);
    const facilitator = renderEmail('stageCompleted', 'sv', facts, { name: 'Eva' });
    expect(facilitator.text).not.toContain('unsubscribe');
    expect(facilitator.text).not.toContain('Avsluta');
  });

  it('carry List-Unsubscribe and one-click headers in raw MIME', async () => {
    const rendered = renderEmail('resultsReady', 'fi', facts, reader);
    const email = {
      from: 'Samskapa <noreply@samskapa.example>',
      to: { address: 'anna@example.org', name: 'Anna Ås' },
      ...rendered,
      headers: {
        'List-Unsubscribe': `<${reader.unsubscribeUrl}>`,
        'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
      },
    };
    const input = await sendEmailInput(email);
    expect(input.Content?.Simple).toBeUndefined();
    expect(input.Destination?.ToAddresses).toEqual(['anna@example.org']);
    const mime = Buffer.from(input.Content?.Raw?.Data ?? new Uint8Array()).toString('utf8');
    expect(mime).toContain(`List-Unsubscribe: <${reader.unsubscribeUrl}>`);
    expect(mime).toContain('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
    expect(mime).toMatch(/Content-Type: multipart\/alternative/);
    expect(mime).toMatch(/Content-Type: text\/plain; charset=utf-8/);
    expect(mime).toMatch(/Content-Type: text\/html; charset=utf-8/);
    // A display name outside ASCII is encoded, never raw 8-bit in a header.
    expect(mime).toMatch(/To: =\?UTF-8\?Q\?Anna_=C3=85s\?= <anna@example.org>/);
  });

  it('go as Simple content when they carry nothing but text and HTML', async () => {
    const rendered = renderEmail('stageCompleted', 'en', facts);
    const input = await sendEmailInput({
      from: 'noreply@samskapa.example',
      to: { address: 'eva@example.org' },
      ...rendered,
    });
    expect(input.Content?.Raw).toBeUndefined();
    expect(input.Content?.Simple?.Subject?.Data).toBe(rendered.subject);
    expect(input.Content?.Simple?.Body?.Html?.Data).toBe(rendered.html);
  });
});

/** A small RFC 5545 reader: unfolds lines and checks that components nest. */
function parseIcs(text: string) {
  expect(text.endsWith('\r\n')).toBe(true);
  expect(text.replace(/\r\n/g, '')).not.toMatch(/\n/);
  const raw = text.split('\r\n').slice(0, -1);
  for (const line of raw) expect(Buffer.byteLength(line)).toBeLessThanOrEqual(75);
  const lines = raw.reduce<string[]>((out, line) => {
    if (line.startsWith(' ')) out[out.length - 1] += line.slice(1);
    else out.push(line);
    return out;
  }, []);
  const stack: string[] = [];
  const properties: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon);
    const value = line.slice(colon + 1);
    if (name === 'BEGIN') stack.push(value);
    else if (name === 'END') expect(stack.pop()).toBe(value);
    else properties[`${stack.join('/')}/${name.split(';')[0]}`] = value;
  }
  expect(stack).toEqual([]);
  expect(lines[0]).toBe('BEGIN:VCALENDAR');
  expect(lines.at(-1)).toBe('END:VCALENDAR');
  return { lines, properties };
}

describe('the workshop invitation calendar file', () => {
  const rendered = renderEmail('workshopInvitation', 'sv', facts, reader);
  const ics = workshopIcs({
    uid: 'org-jh.proc-hede.w-hede-1@samskapa',
    startsAt: '2026-04-14T16:00:00.000Z',
    endsAt: '2026-04-14T19:00:00.000Z',
    summary: rendered.subject,
    location: 'Hede bygdegård, Sjövägen 1; övervåningen',
    description: rendered.text,
    organizer: 'Samskapa <noreply@samskapa.example>',
    attendee: { address: 'anna@example.org', name: 'Anna, Hede' },
    stamp: '2026-03-30T08:00:00.000Z',
  });

  it('parses as a VCALENDAR with a METHOD:REQUEST VEVENT in UTC', () => {
    const { properties } = parseIcs(ics);
    expect(properties).toMatchObject({
      'VCALENDAR/VERSION': '2.0',
      'VCALENDAR/METHOD': 'REQUEST',
      'VCALENDAR/VEVENT/UID': 'org-jh.proc-hede.w-hede-1@samskapa',
      'VCALENDAR/VEVENT/DTSTART': '20260414T160000Z',
      'VCALENDAR/VEVENT/DTEND': '20260414T190000Z',
      'VCALENDAR/VEVENT/DTSTAMP': '20260330T080000Z',
      'VCALENDAR/VEVENT/ORGANIZER': 'mailto:noreply@samskapa.example',
      'VCALENDAR/VEVENT/LOCATION': 'Hede bygdegård\\, Sjövägen 1\\; övervåningen',
      'VCALENDAR/VEVENT/SUMMARY': 'Inbjudan till workshop i Hede',
    });
    expect(properties['VCALENDAR/VEVENT/ATTENDEE']).toBe('mailto:anna@example.org');
    expect(ics.replace(/\r\n /g, '')).toContain(';CN="Anna, Hede":mailto:anna@example.org');
    expect(properties['VCALENDAR/VEVENT/DESCRIPTION']).toContain('\\n');
  });

  it('folds long lines at 75 octets without splitting a character', () => {
    const line = `DESCRIPTION:${'å'.repeat(100)}`;
    const folded = foldLine(line);
    for (const part of folded.split('\r\n')) expect(Buffer.byteLength(part)).toBeLessThanOrEqual(75);
    expect(folded.split('\r\n ').join('')).toBe(line);
    expect(escapeText('a\\b;c,d\ne')).toBe('a\\\\b\\;c\\,d\\ne');
  });

  it('travels as a text/calendar attachment of the raw message', async () => {
    const mime = (
      await composeRaw({
        from: 'noreply@samskapa.example',
        to: { address: 'anna@example.org' },
        ...rendered,
        attachments: [
          {
            filename: 'workshop.ics',
            content: ics,
            contentType: 'text/calendar; charset=utf-8; method=REQUEST',
          },
        ],
      })
    ).toString('utf8');
    expect(mime).toMatch(/Content-Type: multipart\/mixed/);
    const headers = mime.replace(/\r\n[ \t]+/g, ' ');
    expect(headers).toMatch(/Content-Type: text\/calendar; charset=utf-8; method=REQUEST; name=workshop.ics/);
    expect(mime).toMatch(/Content-Disposition: attachment; filename=workshop.ics/);
  });
});

describe('rejections', () => {
  it('never carry an address into an event', () => {
    expect(
      rejectionDetail(
        'MessageRejected',
        'Email address is not verified: anna.andersson+x@example.org, eva@ex.se',
      ),
    ).toBe('MessageRejected: Email address is not verified: <address>, <address>');
    expect(rejectionDetail('BadRequestException', 'x'.repeat(600))).toHaveLength(500);
  });
});
