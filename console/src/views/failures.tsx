/**
 * Failures: every failure queue of the pipeline with its depth and the organisation's messages in it
 * (GET /ops/failures), and the redrive of one message or of a whole queue to its consumer
 * (POST /ops/failures/{queue}/redrive). The list reloads after a redrive and whenever a live event
 * arrives, so what a redrive set off shows here as it happens.
 */
import { useState } from 'preact/hooks';
import { hrefOf, useApi, useLiveReload, useLoad } from '../app.tsx';
import { defineMessages, type Translate, useMessages } from '../i18n.ts';
import type { FailureMessage, FailureQueue, Failures, RedriveResult } from '../types.ts';
import './failures.css';

const messages = defineMessages({
  en: {
    title: 'Failures',
    intro:
      "The pipeline's failure queues. Depth counts the messages of every organisation; the messages listed are your organisation's among the first {peek} of each queue.",
    loading: 'Loading…',
    loadFailed: 'The failures could not be loaded: {error}',
    refresh: 'Refresh',
    updated: 'Updated {time}',
    queues: 'Queues',
    totalDepth: 'Messages in all queues',
    yours: "Your organisation's",
    empty: 'No failures',
    emptyDetail: "No failure queue holds a message of your organisation's events.",
    kind_function: 'Function',
    kind_rule: 'Rule',
    kind_other: 'Other',
    consumer: 'Consumer',
    rule: 'Rule {rule}',
    depth: 'Depth',
    depthOf: 'Depth {depth}',
    messagesCaption: 'Messages of {queue}',
    when: 'When',
    function: 'Function',
    error: 'Error',
    attempts: 'Attempts',
    event: 'Event',
    actions: 'Actions',
    unknownEvent: 'Unknown event',
    trace: 'Trace',
    flow: 'See in the live flow',
    redrive: 'Redrive',
    redriveLabel: 'Redrive message {id} to {function}',
    redriveAll: 'Redrive all',
    redriveAllLabel: 'Redrive all messages of {queue} to {function}',
    running: 'Redriving from {queue}…',
    result: '{queue}: {redriven} redriven to {function}, {failed} failed.',
    failedItem: '{id}: {error}',
    redriveFailed: 'The redrive from {queue} failed: {error}',
    allQueues: 'All queues',
    queue: 'Queue',
    kind: 'Kind',
    otherNote: 'Depth only: no single consumer to redrive to.',
  },
  sv: {
    title: 'Fel',
    intro:
      'Pipelinens felköer. Djupet räknar alla organisationers meddelanden; meddelandena i listan är din organisations bland de första {peek} i varje kö.',
    loading: 'Läser in…',
    loadFailed: 'Felen kunde inte läsas in: {error}',
    refresh: 'Uppdatera',
    updated: 'Uppdaterad {time}',
    queues: 'Köer',
    totalDepth: 'Meddelanden i alla köer',
    yours: 'Din organisations',
    empty: 'Inga fel',
    emptyDetail: 'Ingen felkö innehåller något meddelande om din organisations händelser.',
    kind_function: 'Funktion',
    kind_rule: 'Regel',
    kind_other: 'Övrig',
    consumer: 'Mottagare',
    rule: 'Regel {rule}',
    depth: 'Djup',
    depthOf: 'Djup {depth}',
    messagesCaption: 'Meddelanden i {queue}',
    when: 'När',
    function: 'Funktion',
    error: 'Fel',
    attempts: 'Försök',
    event: 'Händelse',
    actions: 'Åtgärder',
    unknownEvent: 'Okänd händelse',
    trace: 'Spårning',
    flow: 'Visa i händelseflödet',
    redrive: 'Skicka om',
    redriveLabel: 'Skicka om meddelande {id} till {function}',
    redriveAll: 'Skicka om alla',
    redriveAllLabel: 'Skicka om alla meddelanden i {queue} till {function}',
    running: 'Skickar om från {queue}…',
    result: '{queue}: {redriven} omskickade till {function}, {failed} misslyckades.',
    failedItem: '{id}: {error}',
    redriveFailed: 'Omsändningen från {queue} misslyckades: {error}',
    allQueues: 'Alla köer',
    queue: 'Kö',
    kind: 'Typ',
    otherNote: 'Endast djup: ingen enskild mottagare att skicka om till.',
  },
  fi: {
    title: 'Virheet',
    intro:
      'Putken virhejonot. Syvyys laskee kaikkien organisaatioiden viestit; luettelossa ovat organisaatiosi viestit kunkin jonon {peek} ensimmäisen joukosta.',
    loading: 'Ladataan…',
    loadFailed: 'Virheitä ei voitu ladata: {error}',
    refresh: 'Päivitä',
    updated: 'Päivitetty {time}',
    queues: 'Jonot',
    totalDepth: 'Viestejä kaikissa jonoissa',
    yours: 'Organisaatiosi',
    empty: 'Ei virheitä',
    emptyDetail: 'Missään virhejonossa ei ole viestejä organisaatiosi tapahtumista.',
    kind_function: 'Funktio',
    kind_rule: 'Sääntö',
    kind_other: 'Muu',
    consumer: 'Vastaanottaja',
    rule: 'Sääntö {rule}',
    depth: 'Syvyys',
    depthOf: 'Syvyys {depth}',
    messagesCaption: 'Jonon {queue} viestit',
    when: 'Milloin',
    function: 'Funktio',
    error: 'Virhe',
    attempts: 'Yritykset',
    event: 'Tapahtuma',
    actions: 'Toiminnot',
    unknownEvent: 'Tuntematon tapahtuma',
    trace: 'Jäljitys',
    flow: 'Näytä tapahtumavirrassa',
    redrive: 'Lähetä uudelleen',
    redriveLabel: 'Lähetä viesti {id} uudelleen funktiolle {function}',
    redriveAll: 'Lähetä kaikki uudelleen',
    redriveAllLabel: 'Lähetä kaikki jonon {queue} viestit uudelleen funktiolle {function}',
    running: 'Lähetetään uudelleen jonosta {queue}…',
    result: '{queue}: {redriven} lähetetty uudelleen funktiolle {function}, {failed} epäonnistui.',
    failedItem: '{id}: {error}',
    redriveFailed: 'Uudelleenlähetys jonosta {queue} epäonnistui: {error}',
    allQueues: 'Kaikki jonot',
    queue: 'Jono',
    kind: 'Tyyppi',
    otherNote: 'Vain syvyys: ei yksittäistä vastaanottajaa, jolle lähettää uudelleen.',
  },
});

type T = Translate<keyof (typeof messages)['en']>;

/** Messages the API peeks per queue (its default limit). */
const PEEK = 10;
/** A burst of live events (a stage closing emits several) reloads once. */
const LIVE_DEBOUNCE_MS = 500;
/** …but a steady stream of them still reloads this often. */
const LIVE_MAX_WAIT_MS = 5_000;

type Outcome =
  | { kind: 'running'; queue: string }
  | { kind: 'done'; result: RedriveResult }
  | { kind: 'error'; queue: string; error: string };

export function FailuresView() {
  const t = useMessages(messages);
  const api = useApi();
  const [loadedAt, setLoadedAt] = useState<number>();
  const failures = useLoad(async () => {
    const answer = await api.get<Failures>('/ops/failures');
    setLoadedAt(Date.now());
    return answer;
  }, [api]);
  const [outcome, setOutcome] = useState<Outcome>();

  useLiveReload(failures.reload, { debounceMs: LIVE_DEBOUNCE_MS, maxWaitMs: LIVE_MAX_WAIT_MS });

  const running = outcome?.kind === 'running';
  const redrive = async (queue: FailureQueue, messageId?: string) => {
    if (running) return;
    setOutcome({ kind: 'running', queue: queue.queue });
    try {
      const result = await api.post<RedriveResult>(
        `/ops/failures/${encodeURIComponent(queue.queue)}/redrive`,
        messageId ? { messageIds: [messageId] } : {},
      );
      setOutcome({ kind: 'done', result });
    } catch (error) {
      setOutcome({
        kind: 'error',
        queue: queue.queue,
        error: error instanceof Error ? error.message : String(error),
      });
    }
    failures.reload();
  };

  const queues = failures.data?.queues ?? [];
  const withMessages = queues.filter((queue) => queue.kind !== 'other' && queue.messages.length > 0);
  const totalDepth = queues.reduce((sum, queue) => sum + queue.depth, 0);
  const yours = withMessages.reduce((sum, queue) => sum + queue.messages.length, 0);

  return (
    <section class="failures" aria-labelledby="failures-title" aria-busy={failures.loading}>
      <div class="view-heading">
        <h1 id="failures-title">{t('title')}</h1>
        <div class="view-heading-actions">
          {loadedAt !== undefined && <span class="muted">{t('updated', { time: t.time(loadedAt) })}</span>}
          <button type="button" class="secondary" onClick={() => failures.reload()}>
            {t('refresh')}
          </button>
        </div>
      </div>
      <p class="muted intro">{t('intro', { peek: PEEK })}</p>

      <div class="redrive-status" role="status" aria-live="polite" data-redrive-status>
        {outcome && <OutcomeText outcome={outcome} t={t} />}
      </div>

      {failures.error && (
        <p role="alert" class="error">
          {t('loadFailed', { error: failures.error })}
        </p>
      )}
      {!failures.data && !failures.error && <p class="loading">{t('loading')}</p>}

      {failures.data && (
        <>
          <div class="summary">
            <div class="card">
              <div class="muted">{t('queues')}</div>
              <div class="value">{t.number(queues.length)}</div>
            </div>
            <div class="card">
              <div class="muted">{t('totalDepth')}</div>
              <div class="value">{t.number(totalDepth)}</div>
            </div>
            <div class="card">
              <div class="muted">{t('yours')}</div>
              <div class="value">{t.number(yours)}</div>
            </div>
          </div>

          {withMessages.length === 0 ? (
            <div class="card failures-empty" data-empty>
              <h2>
                <span class="badge ok" aria-hidden="true">
                  ✓
                </span>{' '}
                {t('empty')}
              </h2>
              <p class="muted">{t('emptyDetail')}</p>
            </div>
          ) : (
            withMessages.map((queue) => (
              <QueueCard
                key={queue.queue}
                queue={queue}
                t={t}
                disabled={running}
                onRedrive={(messageId) => void redrive(queue, messageId)}
              />
            ))
          )}

          <AllQueues queues={queues} t={t} />
        </>
      )}
    </section>
  );
}

function OutcomeText({ outcome, t }: { outcome: Outcome; t: T }) {
  if (outcome.kind === 'running') return <p>{t('running', { queue: outcome.queue })}</p>;
  if (outcome.kind === 'error')
    return (
      <p class="card outcome error">{t('redriveFailed', { queue: outcome.queue, error: outcome.error })}</p>
    );
  const { result } = outcome;
  return (
    <div class={`card outcome ${result.failed.length > 0 ? 'warn' : 'ok'}`} data-redrive-result>
      <p>
        {t('result', {
          queue: result.queue,
          function: result.function,
          redriven: result.redriven.length,
          failed: result.failed.length,
        })}
      </p>
      {result.failed.length > 0 && (
        <ul>
          {result.failed.map((failure) => (
            <li key={failure.id}>
              <code>{failure.id}</code>: {failure.error}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function QueueCard(props: {
  queue: FailureQueue;
  t: T;
  disabled: boolean;
  onRedrive(messageId?: string): void;
}) {
  const { queue, t } = props;
  const headingId = `queue-${queue.queue}`;
  const consumer = queue.function ?? '';
  return (
    <section class="card queue" data-failure-queue={queue.queue} aria-labelledby={headingId}>
      <div class="queue-heading">
        <h2 id={headingId}>
          <code>{queue.queue}</code>
        </h2>
        <span class="badge info">{t(`kind_${queue.kind}`)}</span>
        <span class="badge error">{t('depthOf', { depth: queue.depth })}</span>
        <span class="muted">
          {t('consumer')}: <code>{consumer}</code>
          {queue.rule && <> · {t('rule', { rule: queue.rule })}</>}
        </span>
        <button
          type="button"
          class="danger redrive-all"
          data-action="redrive-all"
          data-queue={queue.queue}
          disabled={props.disabled}
          aria-label={t('redriveAllLabel', { queue: queue.queue, function: consumer })}
          onClick={() => props.onRedrive()}
        >
          {t('redriveAll')}
        </button>
      </div>
      <div class="table-scroll">
        <table class="data failure-messages">
          <caption class="visually-hidden">{t('messagesCaption', { queue: queue.queue })}</caption>
          <thead>
            <tr>
              <th scope="col">{t('when')}</th>
              <th scope="col">{t('function')}</th>
              <th scope="col">{t('error')}</th>
              <th scope="col" class="number">
                {t('attempts')}
              </th>
              <th scope="col">{t('event')}</th>
              <th scope="col">
                <span class="visually-hidden">{t('actions')}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {queue.messages.map((message) => (
              <MessageRow
                key={message.messageId}
                message={message}
                t={t}
                disabled={props.disabled}
                onRedrive={() => props.onRedrive(message.messageId)}
              />
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function MessageRow(props: { message: FailureMessage; t: T; disabled: boolean; onRedrive(): void }) {
  const { message, t } = props;
  const { event } = message;
  return (
    <tr class="failed" data-message-id={message.messageId} data-queue={message.queue}>
      <td class="when">
        {message.sentAt ? <time dateTime={message.sentAt}>{t.dateTime(message.sentAt)}</time> : '–'}
      </td>
      <td>
        <code>{message.function}</code>
      </td>
      <td class="failure-error">
        <span class="badge error">{message.error.type}</span>
        {message.error.message && <div class="failure-error-message">{message.error.message}</div>}
      </td>
      <td class="number">{t.number(message.attempts)}</td>
      <td class="failure-event">
        <div class="event-type">{event.type ?? t('unknownEvent')}</div>
        {event.id && <code class="event-id">{event.id}</code>}
        {event.processId && (
          <div class="event-links">
            <a href={hrefOf('trace', [event.processId])}>{t('trace')}</a>
            <a href={hrefOf('flow', [], { processId: event.processId })}>{t('flow')}</a>
          </div>
        )}
      </td>
      <td class="actions">
        <button
          type="button"
          class="secondary"
          data-action="redrive"
          data-message-id={message.messageId}
          disabled={props.disabled}
          aria-label={t('redriveLabel', { id: event.id ?? message.messageId, function: message.function })}
          onClick={props.onRedrive}
        >
          {t('redrive')}
        </button>
      </td>
    </tr>
  );
}

function AllQueues({ queues, t }: { queues: FailureQueue[]; t: T }) {
  if (queues.length === 0) return null;
  return (
    <details class="all-queues">
      <summary>
        <h2>{t('allQueues')}</h2>
      </summary>
      <table class="data">
        <thead>
          <tr>
            <th scope="col">{t('queue')}</th>
            <th scope="col">{t('kind')}</th>
            <th scope="col">{t('consumer')}</th>
            <th scope="col" class="number">
              {t('depth')}
            </th>
            <th scope="col" class="number">
              {t('yours')}
            </th>
          </tr>
        </thead>
        <tbody>
          {queues.map((queue) => (
            <tr
              key={queue.queue}
              data-failure-queue={queue.queue}
              class={queue.depth > 0 ? 'nonempty' : undefined}
            >
              <td>
                <code>{queue.queue}</code>
              </td>
              <td>{t(`kind_${queue.kind}`)}</td>
              <td>
                {queue.kind === 'other' ? (
                  <span class="muted">{t('otherNote')}</span>
                ) : (
                  <code>{queue.function}</code>
                )}
              </td>
              <td class="number">
                {queue.depth > 0 ? <span class="badge warn">{t.number(queue.depth)}</span> : t.number(0)}
              </td>
              <td class="number">{queue.kind === 'other' ? '–' : t.number(queue.messages.length)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  );
}
