/**
 * The portfolio board: every process of the organisation as a row, the method's stages as columns.
 * All rows are read once (GET /ops/board, 500 a page) and filtered, sorted and paged in the page, so
 * 2,000 places stay quick: only one page of rows is ever in the DOM. New events reload it, at most
 * once every few seconds.
 */
import { methods } from 'samskapa:methods';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { type Api, ApiError } from '../api.ts';
import { hrefOf, useApi, useLiveReload } from '../app.tsx';
import { defineMessages, type Translate, useMessages } from '../i18n.ts';
import type { BoardPage, BoardRow, MethodOutline } from '../types.ts';

const messages = defineMessages({
  en: {
    title: 'Board',
    loading: 'Loading places… {count}',
    places: 'Places',
    active: 'Active',
    completed: 'Completed',
    stuck: 'Stuck',
    failed: 'Failed',
    overdue: 'Overdue tasks',
    method: 'Method',
    allMethods: 'All methods',
    stage: 'Stage',
    allStages: 'All stages',
    municipality: 'Municipality',
    allMunicipalities: 'All municipalities',
    state: 'State',
    allStates: 'All',
    search: 'Search place',
    stuckAfter: 'Stuck after',
    days: '{days} days',
    place: 'Place',
    timeInStage: 'Time in stage',
    tasks: 'Tasks',
    lastEvent: 'Last event',
    marks: 'Marks',
    done: 'done',
    current: 'current stage',
    ahead: 'not started',
    showing: 'Showing {from}–{to} of {total} places',
    none: 'No places match.',
    previous: 'Previous',
    next: 'Next',
    page: 'Page {page} of {pages}',
    sortBy: 'Sort by {column}',
    trace: 'Trace of {place}',
    error: 'The board could not be loaded: {error}',
    caption: 'Places by stage',
  },
  sv: {
    title: 'Tavla',
    loading: 'Läser in orter… {count}',
    places: 'Orter',
    active: 'Pågående',
    completed: 'Avslutade',
    stuck: 'Fastnat',
    failed: 'Fel',
    overdue: 'Försenade uppgifter',
    method: 'Metod',
    allMethods: 'Alla metoder',
    stage: 'Steg',
    allStages: 'Alla steg',
    municipality: 'Kommun',
    allMunicipalities: 'Alla kommuner',
    state: 'Läge',
    allStates: 'Alla',
    search: 'Sök ort',
    stuckAfter: 'Fastnat efter',
    days: '{days} dagar',
    place: 'Ort',
    timeInStage: 'Tid i steget',
    tasks: 'Uppgifter',
    lastEvent: 'Senaste händelse',
    marks: 'Markeringar',
    done: 'klart',
    current: 'nuvarande steg',
    ahead: 'inte påbörjat',
    showing: 'Visar {from}–{to} av {total} orter',
    none: 'Inga orter matchar.',
    previous: 'Föregående',
    next: 'Nästa',
    page: 'Sida {page} av {pages}',
    sortBy: 'Sortera efter {column}',
    trace: 'Spårning för {place}',
    error: 'Tavlan kunde inte läsas in: {error}',
    caption: 'Orter per steg',
  },
  fi: {
    title: 'Taulu',
    loading: 'Ladataan paikkoja… {count}',
    places: 'Paikat',
    active: 'Käynnissä',
    completed: 'Valmiit',
    stuck: 'Jumissa',
    failed: 'Virhe',
    overdue: 'Myöhässä olevat tehtävät',
    method: 'Menetelmä',
    allMethods: 'Kaikki menetelmät',
    stage: 'Vaihe',
    allStages: 'Kaikki vaiheet',
    municipality: 'Kunta',
    allMunicipalities: 'Kaikki kunnat',
    state: 'Tila',
    allStates: 'Kaikki',
    search: 'Hae paikkaa',
    stuckAfter: 'Jumissa, kun kulunut',
    days: '{days} päivää',
    place: 'Paikka',
    timeInStage: 'Aika vaiheessa',
    tasks: 'Tehtävät',
    lastEvent: 'Viimeisin tapahtuma',
    marks: 'Merkinnät',
    done: 'valmis',
    current: 'nykyinen vaihe',
    ahead: 'ei aloitettu',
    showing: 'Näytetään {from}–{to} / {total} paikkaa',
    none: 'Yksikään paikka ei vastaa hakua.',
    previous: 'Edellinen',
    next: 'Seuraava',
    page: 'Sivu {page} / {pages}',
    sortBy: 'Järjestä: {column}',
    trace: 'Jäljitys: {place}',
    error: 'Taulua ei voitu ladata: {error}',
    caption: 'Paikat vaiheittain',
  },
});

type T = Translate<keyof (typeof messages)['en']>;

const PAGE_SIZE = 50;
/** The most rows one GET /ops/board answers. */
const BOARD_PAGE = 500;
const RELOAD_DEBOUNCE_MS = 1_000;
const RELOAD_AT_MOST_EVERY_MS = 3_000;
const STUCK_DAYS = [1, 3, 7, 14, 30] as const;

type SortKey = 'place' | 'municipality' | 'stage' | 'timeInStage' | 'tasks' | 'lastEvent';
type StateFilter = '' | 'active' | 'completed' | 'stuck' | 'failed';

/** Every row of the board, page after page. */
export async function loadBoard(
  api: Api,
  stuckAfterHours: number,
  onProgress: (count: number) => void = () => {},
): Promise<BoardRow[]> {
  const rows: BoardRow[] = [];
  let cursor: string | undefined;
  do {
    const page: BoardPage = await api.get<BoardPage>('/ops/board', {
      limit: BOARD_PAGE,
      stuckAfterHours,
      cursor,
    });
    rows.push(...page.items);
    onProgress(rows.length);
    cursor = page.cursor;
  } while (cursor);
  return rows;
}

const compare: Record<SortKey, (a: BoardRow, b: BoardRow) => number> = {
  place: (a, b) => a.placeName.localeCompare(b.placeName),
  municipality: (a, b) =>
    a.municipality.localeCompare(b.municipality) || a.placeName.localeCompare(b.placeName),
  stage: (a, b) =>
    Number(a.status === 'completed') - Number(b.status === 'completed') ||
    a.stage.index - b.stage.index ||
    b.timeInStageSeconds - a.timeInStageSeconds,
  timeInStage: (a, b) => a.timeInStageSeconds - b.timeInStageSeconds,
  tasks: (a, b) => a.overdueTasks - b.overdueTasks || a.openTasks - b.openTasks,
  lastEvent: (a, b) => a.lastEventAt.localeCompare(b.lastEventAt),
};

export function BoardView() {
  const t = useMessages(messages);
  const api = useApi();
  const [rows, setRows] = useState<BoardRow[]>();
  const [progress, setProgress] = useState(0);
  const [error, setError] = useState<string>();
  const [stuckDays, setStuckDays] = useState<number>(3);
  const [method, setMethod] = useState<string>('');
  const [stage, setStage] = useState('');
  const [municipality, setMunicipality] = useState('');
  const [state, setState] = useState<StateFilter>('');
  const [search, setSearch] = useState('');
  const [sort, setSort] = useState<{ key: SortKey; descending: boolean }>({
    key: 'stage',
    descending: false,
  });
  const [page, setPage] = useState(0);
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    let current = true;
    const began = performance.now();
    loadBoard(api, stuckDays * 24, (count) => current && setProgress(count)).then(
      (loaded) => {
        if (!current) return;
        setRows(loaded);
        setError(undefined);
        performance.measure('board:load', { start: began });
      },
      (e: unknown) =>
        current && setError(e instanceof ApiError || e instanceof Error ? e.message : String(e)),
    );
    return () => {
      current = false;
    };
  }, [api, stuckDays, generation]);

  // A new event may move a place: reload once a burst is over, at least every few seconds.
  useLiveReload(() => setGeneration((g) => g + 1), {
    debounceMs: RELOAD_DEBOUNCE_MS,
    maxWaitMs: RELOAD_AT_MOST_EVERY_MS,
  });

  const all = rows ?? [];
  const methodsPresent = useMemo(() => {
    const counts = new Map<string, number>();
    for (const row of all) counts.set(row.method, (counts.get(row.method) ?? 0) + 1);
    return [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([key]) => key);
  }, [all]);
  // The columns are the stages of one method: the one chosen, else the most common one.
  const shownMethod: MethodOutline | undefined =
    methods.find((m) => m.key === (method || methodsPresent[0])) ?? methods[0];
  const municipalities = useMemo(() => [...new Set(all.map((row) => row.municipality))].sort(), [all]);

  const filtered = useMemo(() => {
    const needle = search.trim().toLocaleLowerCase();
    const matching = all.filter(
      (row) =>
        (!method || row.method === method) &&
        (!stage || (row.status === 'active' && row.stage.key === stage)) &&
        (!municipality || row.municipality === municipality) &&
        (!state ||
          (state === 'stuck' ? row.stuck : state === 'failed' ? row.failed : row.status === state)) &&
        (!needle || row.placeName.toLocaleLowerCase().includes(needle)),
    );
    const order = compare[sort.key];
    return matching.sort((a, b) => (sort.descending ? -order(a, b) : order(a, b)));
  }, [all, method, stage, municipality, state, search, sort]);

  const pages = Math.max(1, Math.ceil(filtered.length / PAGE_SIZE));
  const currentPage = Math.min(page, pages - 1);
  const visible = filtered.slice(currentPage * PAGE_SIZE, (currentPage + 1) * PAGE_SIZE);
  const filter =
    <V,>(set: (value: V) => void) =>
    (value: V) => {
      set(value);
      setPage(0);
    };

  const counts = useMemo(
    () => ({
      total: all.length,
      active: all.filter((row) => row.status === 'active').length,
      completed: all.filter((row) => row.status === 'completed').length,
      stuck: all.filter((row) => row.stuck).length,
      failed: all.filter((row) => row.failed).length,
      overdue: all.filter((row) => row.overdueTasks > 0).length,
    }),
    [all],
  );

  if (error && !rows)
    return (
      <>
        <h1>{t('title')}</h1>
        <p role="alert" class="error">
          {t('error', { error })}
        </p>
      </>
    );

  return (
    <>
      <h1>{t('title')}</h1>
      {rows ? (
        <ul class="summary" aria-label={t('places')}>
          {(
            [
              ['places', counts.total, ''],
              ['active', counts.active, 'active'],
              ['completed', counts.completed, 'completed'],
              ['stuck', counts.stuck, 'stuck'],
              ['failed', counts.failed, 'failed'],
            ] as const
          ).map(([label, value, stateFilter]) => (
            <li class="card" key={label} data-count={label}>
              <button
                type="button"
                class="link"
                aria-pressed={state === stateFilter}
                onClick={() => filter(setState)(stateFilter)}
              >
                <span class="value">{t.number(value)}</span> <span>{t(label)}</span>
              </button>
            </li>
          ))}
        </ul>
      ) : (
        <p role="status">{t('loading', { count: progress })}</p>
      )}
      {error ? (
        <p role="alert" class="error">
          {t('error', { error })}
        </p>
      ) : null}

      <div class="toolbar">
        <label>
          {t('method')}
          <select
            value={method}
            onChange={(e) => {
              filter(setMethod)(e.currentTarget.value);
              setStage('');
            }}
          >
            <option value="">{t('allMethods')}</option>
            {methods.map((m) => (
              <option key={m.key} value={m.key}>
                {m.name[t.locale]}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('stage')}
          <select value={stage} onChange={(e) => filter(setStage)(e.currentTarget.value)}>
            <option value="">{t('allStages')}</option>
            {shownMethod?.stages.map((s) => (
              <option key={s.key} value={s.key}>
                {s.name[t.locale]}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('municipality')}
          <select value={municipality} onChange={(e) => filter(setMunicipality)(e.currentTarget.value)}>
            <option value="">{t('allMunicipalities')}</option>
            {municipalities.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('state')}
          <select value={state} onChange={(e) => filter(setState)(e.currentTarget.value as StateFilter)}>
            <option value="">{t('allStates')}</option>
            {(['active', 'completed', 'stuck', 'failed'] as const).map((value) => (
              <option key={value} value={value}>
                {t(value)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('search')}
          <input type="search" value={search} onInput={(e) => filter(setSearch)(e.currentTarget.value)} />
        </label>
        <label>
          {t('stuckAfter')}
          <select value={String(stuckDays)} onChange={(e) => setStuckDays(Number(e.currentTarget.value))}>
            {STUCK_DAYS.map((days) => (
              <option key={days} value={String(days)}>
                {t('days', { days })}
              </option>
            ))}
          </select>
        </label>
      </div>

      {rows ? (
        <BoardTable
          t={t}
          rows={visible}
          method={shownMethod}
          total={filtered.length}
          loaded={all.length}
          from={currentPage * PAGE_SIZE}
          sort={sort}
          onSort={(key) =>
            setSort((previous) => ({
              key,
              descending: previous.key === key ? !previous.descending : false,
            }))
          }
        />
      ) : null}

      {rows && pages > 1 ? (
        <nav class="pager" aria-label={t('page', { page: currentPage + 1, pages })}>
          <button
            type="button"
            class="secondary"
            disabled={currentPage === 0}
            onClick={() => setPage(currentPage - 1)}
          >
            {t('previous')}
          </button>
          <span>{t('page', { page: currentPage + 1, pages })}</span>
          <button
            type="button"
            class="secondary"
            disabled={currentPage >= pages - 1}
            onClick={() => setPage(currentPage + 1)}
          >
            {t('next')}
          </button>
        </nav>
      ) : null}
    </>
  );
}

function BoardTable(props: {
  t: T;
  rows: BoardRow[];
  method: MethodOutline | undefined;
  total: number;
  loaded: number;
  from: number;
  sort: { key: SortKey; descending: boolean };
  onSort(key: SortKey): void;
}) {
  const { t, method } = props;
  const header = (key: SortKey, label: string, className?: string) => (
    <th
      scope="col"
      class={className}
      aria-sort={props.sort.key === key ? (props.sort.descending ? 'descending' : 'ascending') : undefined}
    >
      <button
        type="button"
        class="sort"
        title={t('sortBy', { column: label })}
        onClick={() => props.onSort(key)}
      >
        {label}
        <span aria-hidden="true">{props.sort.key === key ? (props.sort.descending ? ' ▼' : ' ▲') : ''}</span>
      </button>
    </th>
  );
  return (
    <>
      <p class="muted" role="status" aria-live="polite">
        {props.total === 0
          ? t('none')
          : t('showing', {
              from: props.from + 1,
              to: props.from + props.rows.length,
              total: props.total,
            })}
      </p>
      <div class="table-scroll">
        <table class="data board" data-loaded-count={props.loaded} data-total={props.total}>
          <caption class="visually-hidden">{t('caption')}</caption>
          <thead>
            <tr>
              {header('place', t('place'))}
              {header('municipality', t('municipality'))}
              {method ? (
                method.stages.map((stage) => (
                  <th scope="col" class="stage-cell" key={stage.key}>
                    {stage.name[t.locale]}
                  </th>
                ))
              ) : (
                <th scope="col">{t('stage')}</th>
              )}
              {header('timeInStage', t('timeInStage'), 'number')}
              {header('tasks', t('tasks'), 'number')}
              {header('lastEvent', t('lastEvent'))}
              <th scope="col">{t('marks')}</th>
            </tr>
          </thead>
          <tbody>
            {props.rows.map((row) => (
              <BoardLine key={row.processId} t={t} row={row} method={method} />
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

function BoardLine({ t, row, method }: { t: T; row: BoardRow; method: MethodOutline | undefined }) {
  const sameMethod = method?.key === row.method;
  const classes = [row.failed ? 'failed' : '', row.stuck ? 'stuck' : ''].filter(Boolean).join(' ');
  return (
    <tr
      class={classes || undefined}
      data-process-id={row.processId}
      data-place-id={row.placeId}
      data-stage-key={row.status === 'completed' ? 'completed' : (row.stage.key ?? '')}
      data-status={row.status}
    >
      <th scope="row">
        <a href={hrefOf('trace', [row.processId])} title={t('trace', { place: row.placeName })}>
          {row.placeName}
        </a>
      </th>
      <td>{row.municipality}</td>
      {method && sameMethod ? (
        method.stages.map((stage, index) => {
          const done = row.status === 'completed' || index < row.stage.index;
          const current = row.status === 'active' && index === row.stage.index;
          return (
            <td class="stage-cell" key={stage.key}>
              {done ? (
                <span class="done">
                  <span aria-hidden="true">✓</span>
                  <span class="visually-hidden">{t('done')}</span>
                </span>
              ) : current ? (
                <span class="current">
                  <span class="visually-hidden">{t('current')}: </span>
                  {stage.name[t.locale]}
                </span>
              ) : (
                <span class="ahead">
                  <span aria-hidden="true">·</span>
                  <span class="visually-hidden">{t('ahead')}</span>
                </span>
              )}
            </td>
          );
        })
      ) : method ? (
        <td colSpan={method.stages.length}>{row.stage.name?.[t.locale] ?? row.stage.key ?? '–'}</td>
      ) : (
        <td>{row.stage.name?.[t.locale] ?? row.stage.key ?? '–'}</td>
      )}
      <td class="number">{row.status === 'active' ? t.duration(row.timeInStageSeconds) : '–'}</td>
      <td class="number">
        {row.openTasks}
        {row.overdueTasks > 0 ? (
          <>
            {' '}
            <span class="badge warn" title={t('overdue')}>
              ⏰ {t.number(row.overdueTasks)}
              <span class="visually-hidden"> {t('overdue')}</span>
            </span>
          </>
        ) : null}
      </td>
      <td class="nowrap">{row.lastEventAt ? t.dateTime(row.lastEventAt) : '–'}</td>
      <td class="nowrap">
        {row.failed ? <span class="badge error">✕ {t('failed')}</span> : null}{' '}
        {row.stuck ? <span class="badge warn">⏸ {t('stuck')}</span> : null}
      </td>
    </tr>
  );
}
