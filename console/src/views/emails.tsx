/**
 * Emails: the local runtime's SES outbox (GET /ops/emails), newest first, and one email as its
 * recipient sees it (GET /ops/emails/{id}): the HTML part in a sandboxed frame (no scripts, no
 * navigation, no access to the console), the text part, the headers and the attachments. Only the
 * local runtime keeps emails; on AWS, SES sends them and the view says so.
 */
import { useMemo, useState } from 'preact/hooks';
import { hrefOf, useApi, useLiveReload, useLoad, useRoute } from '../app.tsx';
import { defineMessages, type Translate, useMessages } from '../i18n.ts';
import type { EmailEntry, EmailMessage } from '../types.ts';
import './emails.css';

const messages = defineMessages({
  en: {
    title: 'Emails',
    notKept:
      'Emails are only kept by the local runtime, which shows here what it would have sent. On AWS, SES sends them: follow them with the Notification.Sent and Notification.Failed events.',
    loading: 'Loading…',
    loadFailed: 'The emails could not be loaded: {error}',
    messageFailed: 'The email could not be loaded: {error}',
    refresh: 'Refresh',
    search: 'Search',
    searchHint: 'Recipient or subject',
    template: 'Template',
    allTemplates: 'All templates',
    shown: '{shown} of {total} emails',
    listCaption: 'The outbox, newest first',
    date: 'Date',
    to: 'To',
    from: 'From',
    subject: 'Subject',
    none: 'No emails yet.',
    noMatch: 'No email matches.',
    select: 'Select an email to see it as its recipient does.',
    frameTitle: 'The email as its recipient sees it: {subject}',
    noHtml: 'This email has no HTML part; its text:',
    text: 'Text part',
    noText: 'This email has no text part.',
    headers: 'Headers',
    header: 'Header',
    value: 'Value',
    tags: 'Tags',
    attachments: 'Attachments',
    noAttachments: 'No attachments.',
    unnamed: '(no name)',
    size: 'Size',
    recipient: 'Recipient id',
    process: 'Process',
    trace: 'Trace',
    close: 'Close',
  },
  sv: {
    title: 'E-post',
    notKept:
      'E-post sparas bara av den lokala körmiljön, som här visar vad den skulle ha skickat. På AWS skickar SES dem: följ dem med händelserna Notification.Sent och Notification.Failed.',
    loading: 'Läser in…',
    loadFailed: 'E-posten kunde inte läsas in: {error}',
    messageFailed: 'Meddelandet kunde inte läsas in: {error}',
    refresh: 'Uppdatera',
    search: 'Sök',
    searchHint: 'Mottagare eller ämne',
    template: 'Mall',
    allTemplates: 'Alla mallar',
    shown: '{shown} av {total} meddelanden',
    listCaption: 'Utkorgen, nyaste först',
    date: 'Datum',
    to: 'Till',
    from: 'Från',
    subject: 'Ämne',
    none: 'Ingen e-post ännu.',
    noMatch: 'Inget meddelande matchar.',
    select: 'Välj ett meddelande för att se det som mottagaren gör.',
    frameTitle: 'Meddelandet som mottagaren ser det: {subject}',
    noHtml: 'Meddelandet har ingen HTML-del; dess text:',
    text: 'Textdel',
    noText: 'Meddelandet har ingen textdel.',
    headers: 'Rubrikfält',
    header: 'Fält',
    value: 'Värde',
    tags: 'Taggar',
    attachments: 'Bilagor',
    noAttachments: 'Inga bilagor.',
    unnamed: '(namnlös)',
    size: 'Storlek',
    recipient: 'Mottagar-id',
    process: 'Process',
    trace: 'Spårning',
    close: 'Stäng',
  },
  fi: {
    title: 'Sähköpostit',
    notKept:
      'Vain paikallinen ajoympäristö säilyttää sähköpostit ja näyttää täällä, mitä se olisi lähettänyt. AWS:ssä SES lähettää ne: seuraa niitä tapahtumilla Notification.Sent ja Notification.Failed.',
    loading: 'Ladataan…',
    loadFailed: 'Sähköposteja ei voitu ladata: {error}',
    messageFailed: 'Viestiä ei voitu ladata: {error}',
    refresh: 'Päivitä',
    search: 'Haku',
    searchHint: 'Vastaanottaja tai aihe',
    template: 'Pohja',
    allTemplates: 'Kaikki pohjat',
    shown: '{shown}/{total} viestiä',
    listCaption: 'Lähtevät viestit, uusin ensin',
    date: 'Päivämäärä',
    to: 'Vastaanottaja',
    from: 'Lähettäjä',
    subject: 'Aihe',
    none: 'Ei vielä sähköposteja.',
    noMatch: 'Yksikään viesti ei vastaa hakua.',
    select: 'Valitse viesti nähdäksesi sen niin kuin vastaanottaja sen näkee.',
    frameTitle: 'Viesti niin kuin vastaanottaja sen näkee: {subject}',
    noHtml: 'Viestissä ei ole HTML-osaa; sen teksti:',
    text: 'Tekstiosa',
    noText: 'Viestissä ei ole tekstiosaa.',
    headers: 'Otsakkeet',
    header: 'Otsake',
    value: 'Arvo',
    tags: 'Tunnisteet',
    attachments: 'Liitteet',
    noAttachments: 'Ei liitteitä.',
    unnamed: '(nimetön)',
    size: 'Koko',
    recipient: 'Vastaanottajan tunnus',
    process: 'Prosessi',
    trace: 'Jäljitys',
    close: 'Sulje',
  },
});

type T = Translate<keyof (typeof messages)['en']>;

/** A burst of Notification events (a stage's emails) reloads the list once. */
const LIVE_DEBOUNCE_MS = 1_000;
/** …but a steady stream of them still reloads this often. */
const LIVE_MAX_WAIT_MS = 5_000;

export function EmailsView() {
  const t = useMessages(messages);
  const api = useApi();
  if (!api.config.features.emails)
    return (
      <section class="emails" aria-labelledby="emails-title">
        <h1 id="emails-title">{t('title')}</h1>
        <p class="card" data-emails-unavailable>
          {t('notKept')}
        </p>
      </section>
    );
  return <Outbox />;
}

const bytes = (t: T, size: number) =>
  size < 1024 ? `${t.number(size)} B` : `${t.number(size / 1024, { maximumFractionDigits: 1 })} kB`;

const INTL_LOCALE = { sv: 'sv-SE', fi: 'fi-FI', en: 'en-GB' } as const;
/** The date of a moment, short: the list shows the day and the time on two lines. */
const day = (t: T, value: string) =>
  new Date(value).toLocaleDateString(INTL_LOCALE[t.locale], { dateStyle: 'short' });

const time = (value: string) => {
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? 0 : ms;
};

/** `"Name" <address>` as its parts (the whole value as the address when it is not of that form). */
function recipientOf(value: string): { name: string; address: string } {
  const match = /^\s*"?([^"<]*?)"?\s*<([^>]+)>\s*$/.exec(value);
  return match ? { name: match[1] ?? '', address: match[2] ?? value } : { name: '', address: value };
}

function Outbox() {
  const t = useMessages(messages);
  const api = useApi();
  const route = useRoute();
  const selected = route.params[0];
  const [search, setSearch] = useState('');
  const [template, setTemplate] = useState('');
  const list = useLoad(() => api.get<{ items: EmailEntry[]; total: number }>('/ops/emails'), [api]);

  useLiveReload(list.reload, {
    debounceMs: LIVE_DEBOUNCE_MS,
    maxWaitMs: LIVE_MAX_WAIT_MS,
    matters: (event) => event.event.metadata.type.startsWith('Notification.'),
  });

  const items = useMemo(
    // Newest first; the outbox answers in that order, and a stable sort keeps it within a second.
    () => [...(list.data?.items ?? [])].sort((a, b) => time(b.date) - time(a.date)),
    [list.data],
  );
  const templates = useMemo(
    () =>
      [...new Set(items.map((item) => item.tags.template).filter((name): name is string => !!name))].sort(),
    [items],
  );
  const shown = useMemo(() => {
    const words = search.trim().toLocaleLowerCase();
    return items.filter(
      (item) =>
        (!template || item.tags.template === template) &&
        (!words || `${item.to} ${item.subject}`.toLocaleLowerCase().includes(words)),
    );
  }, [items, search, template]);

  return (
    <section class="emails" aria-labelledby="emails-title">
      <div class="view-heading">
        <h1 id="emails-title">{t('title')}</h1>
      </div>
      <div class="toolbar">
        <label>
          <span>{t('search')}</span>
          <input
            type="search"
            value={search}
            placeholder={t('searchHint')}
            data-control="search"
            onInput={(event) => setSearch(event.currentTarget.value)}
          />
        </label>
        <label>
          <span>{t('template')}</span>
          <select
            value={template}
            data-control="template"
            onChange={(event) => setTemplate(event.currentTarget.value)}
          >
            <option value="">{t('allTemplates')}</option>
            {templates.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </label>
        <button type="button" class="secondary" onClick={() => list.reload()} disabled={list.loading}>
          {t('refresh')}
        </button>
        {list.data && (
          <span class="muted count" role="status">
            {t('shown', { shown: shown.length, total: list.data.total })}
          </span>
        )}
      </div>
      {list.error && (
        <p role="alert" class="error">
          {t('loadFailed', { error: list.error })}
        </p>
      )}
      {!list.data && !list.error && <p class="loading">{t('loading')}</p>}
      {list.data && (
        <div class={`emails-layout ${selected ? 'has-selection' : ''}`}>
          <div class="email-list">
            {items.length === 0 ? (
              <p class="card muted">{t('none')}</p>
            ) : shown.length === 0 ? (
              <p class="card muted">{t('noMatch')}</p>
            ) : (
              <EmailList items={shown} selected={selected} t={t} />
            )}
          </div>
          <div class="email-pane">
            {selected ? <EmailMessageView id={selected} t={t} /> : <p class="card muted">{t('select')}</p>}
          </div>
        </div>
      )}
    </section>
  );
}

function EmailList({ items, selected, t }: { items: EmailEntry[]; selected: string | undefined; t: T }) {
  return (
    <table class="data email-table">
      <caption class="visually-hidden">{t('listCaption')}</caption>
      <thead>
        <tr>
          <th scope="col">{t('date')}</th>
          <th scope="col">
            {t('subject')} · {t('to')}
          </th>
          <th scope="col">{t('template')}</th>
        </tr>
      </thead>
      <tbody>
        {items.map((item) => {
          const href = hrefOf('emails', [item.id]);
          const current = item.id === selected;
          const to = recipientOf(item.to);
          return (
            <tr
              key={item.id}
              data-email-id={item.id}
              class={current ? 'selected' : undefined}
              aria-current={current ? 'true' : undefined}
              onClick={(event) => {
                if ((event.target as HTMLElement).closest('a')) return;
                location.hash = href;
              }}
            >
              <td class="date">
                <time dateTime={new Date(time(item.date)).toISOString()} title={t.dateTime(item.date)}>
                  <span class="day">{day(t, item.date)}</span> <span class="clock">{t.time(item.date)}</span>
                </time>
              </td>
              <td class="email-summary">
                <a class="subject" href={href}>
                  {item.subject || '–'}
                </a>
                <div class="to">
                  <span class="visually-hidden">{t('to')}: </span>
                  {to.name && <span class="to-name">{to.name}</span>}{' '}
                  <span class="to-address">{to.address}</span>
                </div>
              </td>
              <td>{item.tags.template ? <span class="badge info">{item.tags.template}</span> : null}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function EmailMessageView({ id, t }: { id: string; t: T }) {
  const api = useApi();
  const message = useLoad(() => api.get<EmailMessage>(`/ops/emails/${encodeURIComponent(id)}`), [api, id]);
  const email = message.data?.id === id ? message.data : undefined;
  if (message.error)
    return (
      <p role="alert" class="card error">
        {t('messageFailed', { error: message.error })}
      </p>
    );
  if (!email) return <p class="card loading">{t('loading')}</p>;
  const { template, processId, recipientKind, recipientId, ...otherTags } = email.tags;
  return (
    <article class="card email-message" data-email={email.id} aria-labelledby="email-subject">
      <div class="email-message-heading">
        <h2 id="email-subject">{email.subject || '–'}</h2>
        <a class="close" href={hrefOf('emails')} aria-label={t('close')}>
          ×
        </a>
      </div>
      <dl class="email-meta">
        <dt>{t('from')}</dt>
        <dd>{email.from}</dd>
        <dt>{t('to')}</dt>
        <dd>{email.to}</dd>
        <dt>{t('date')}</dt>
        <dd>{t.dateTime(email.date)}</dd>
        {template && (
          <>
            <dt>{t('template')}</dt>
            <dd>
              <span class="badge info">{template}</span>
            </dd>
          </>
        )}
        {(recipientKind || recipientId) && (
          <>
            <dt>{t('recipient')}</dt>
            <dd>
              {recipientKind} <code>{recipientId}</code>
            </dd>
          </>
        )}
        {processId && (
          <>
            <dt>{t('process')}</dt>
            <dd>
              <code>{processId}</code> · <a href={hrefOf('trace', [processId])}>{t('trace')}</a>
            </dd>
          </>
        )}
        <dt>{t('size')}</dt>
        <dd>{bytes(t, email.sizeBytes)}</dd>
      </dl>

      {email.html ? (
        <iframe
          class="email-frame"
          sandbox=""
          srcdoc={email.html}
          title={t('frameTitle', { subject: email.subject })}
          data-email-html
        />
      ) : (
        <>
          <p class="muted">{t('noHtml')}</p>
          <pre class="email-text">{email.text ?? ''}</pre>
        </>
      )}

      <h3>{t('attachments')}</h3>
      {email.attachments.length === 0 ? (
        <p class="muted">{t('noAttachments')}</p>
      ) : (
        <ul class="attachments" data-attachments>
          {email.attachments.map((attachment, i) => (
            <li key={`${attachment.filename ?? ''}-${i}`}>
              <span class="attachment-name">{attachment.filename ?? t('unnamed')}</span>{' '}
              <span class="muted">
                {attachment.contentType} · {bytes(t, attachment.sizeBytes)}
              </span>
            </li>
          ))}
        </ul>
      )}

      {email.html && (
        <details class="email-details" data-part="text">
          <summary>{t('text')}</summary>
          {email.text ? <pre class="email-text">{email.text}</pre> : <p class="muted">{t('noText')}</p>}
        </details>
      )}
      <details class="email-details" data-part="headers">
        <summary>{t('headers')}</summary>
        <table class="data headers">
          <thead>
            <tr>
              <th scope="col">{t('header')}</th>
              <th scope="col">{t('value')}</th>
            </tr>
          </thead>
          <tbody>
            {email.headers.map(([name, value], i) => (
              <tr key={`${name}-${i}`}>
                <th scope="row">{name}</th>
                <td>{value}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {Object.keys(otherTags).length > 0 && (
          <>
            <h3>{t('tags')}</h3>
            <table class="data headers">
              <tbody>
                {Object.entries(otherTags).map(([name, value]) => (
                  <tr key={name}>
                    <th scope="row">{name}</th>
                    <td>
                      <code>{value}</code>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
      </details>
    </article>
  );
}
