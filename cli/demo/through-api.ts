/**
 * The demo against a running local runtime, through its HTTP API only: the same calls a facilitator's
 * tool makes, with recordings uploaded through the presigned URLs the API hands out.
 */
import type { DemoPlace } from './content.ts';
import type { CommandBody, PlaceScriptHooks } from './place-script.ts';

export interface ApiCaller {
  call<T>(method: string, path: string, body?: unknown): Promise<T>;
}

export function httpCaller(baseUrl: string, token: string): ApiCaller {
  return {
    async call<T>(method: string, path: string, body?: unknown): Promise<T> {
      const response = await fetch(`${baseUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      if (!response.ok)
        throw new Error(`${method} ${path} answered ${response.status}: ${text.slice(0, 300)}`);
      return (text ? JSON.parse(text) : {}) as T;
    },
  };
}

/** Maps each step of the place script to its API route: the coordinator registers the place, the facilitator does the rest. */
export function apiHooks(
  callers: { coordinator: ApiCaller; facilitator: ApiCaller },
  place: DemoPlace,
): PlaceScriptHooks & { processId(): string } {
  const api = callers.facilitator;
  let processId = '';
  const p = () => `/processes/${processId}`;
  const waitFor = async <T>(read: () => Promise<T>, done: (value: T) => boolean, what: string) => {
    const deadline = Date.now() + 120_000;
    for (;;) {
      const value = await read().catch(() => undefined);
      if (value !== undefined && done(value)) return value;
      if (Date.now() > deadline) throw new Error(`${place.name}: timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
  };

  const routes: Record<string, (body: Record<string, unknown>) => Promise<unknown>> = {
    startProcess: async (body) => {
      const created = await callers.coordinator.call<{ placeId: string }>('POST', '/places', {
        name: place.name,
        municipality: place.municipality,
        region: place.region,
        population: place.population,
      });
      const started = await api.call<{ processId: string }>('POST', '/processes', {
        placeId: created.placeId,
        method: body.method,
        locale: body.locale,
        facilitators: body.facilitators,
        overrides: body.overrides,
      });
      processId = started.processId;
    },
    registerParticipant: (b) =>
      api.call('POST', `${p()}/participants`, {
        ...pick(b, ['participantId', 'sector', 'ageGroup', 'locale', 'consent']),
        name: `Deltagare ${String(b.participantId)}`,
        email: `${String(b.participantId)}@${place.placeId}.example`,
      }),
    registerInterview: (b) =>
      api.call('POST', `${p()}/interviews`, pick(b, ['interviewId', 'participantId', 'consentRecordedAt'])),
    summariseInterview: (b) =>
      api.call(
        'PUT',
        `${p()}/interviews/${String(b.interviewId)}/summary`,
        pick(b, ['needs', 'wishes', 'challenges', 'quotes', 'themes']),
      ),
    scheduleWorkshop: (b) =>
      api.call(
        'POST',
        `${p()}/workshops`,
        pick(b, ['workshopId', 'startsAt', 'endsAt', 'venue', 'invitees']),
      ),
    closeWorkshop: (b) =>
      api.call('POST', `${p()}/workshops/${String(b.workshopId)}/close`, pick(b, ['attendance', 'ideas'])),
    recordReflection: (b) =>
      api.call('POST', `${p()}/reflections`, pick(b, ['reflectionId', 'stage', 'meeting', 'answers'])),
    proposePlan: (b) =>
      api.call(
        'POST',
        `${p()}/plans`,
        pick(b, ['planId', 'ideaId', 'title', 'goal', 'owner', 'partners', 'actions', 'budget', 'dueDate']),
      ),
    approvePlan: (b) => api.call('POST', `${p()}/plans/${String(b.planId)}/approve`),
    confirmStage: (b) => api.call('POST', `${p()}/stages/${String(b.stage)}/confirm`, pick(b, ['note'])),
    publishGuide: (b) => api.call('POST', `${p()}/guide/publish`, { guideId: b.guideId }),
  };

  return {
    processId: () => processId,
    async command(body: CommandBody) {
      const route = routes[body.type];
      if (!route) throw new Error(`the demo has no API route for ${body.type}`);
      await route(body as unknown as Record<string, unknown>);
    },
    async record(interviewId, n) {
      const recording = Buffer.from(`ftypM4A demo recording ${n} of ${place.name} `.repeat(200));
      const upload = await api.call<{ url: string; headers: Record<string, string> }>(
        'POST',
        `${p()}/interviews/${interviewId}/upload`,
        { fileName: `intervju-${n + 1}.m4a`, contentType: 'audio/mp4', size: recording.length },
      );
      const put = await fetch(upload.url, { method: 'PUT', headers: upload.headers, body: recording });
      if (!put.ok) throw new Error(`upload of ${interviewId} answered ${put.status}`);
    },
    async reached(stage) {
      await waitFor(
        () => api.call<{ stage?: { key?: string } }>('GET', p()),
        (s) => s.stage?.key === stage,
        `the ${stage} stage`,
      );
    },
    async guideId() {
      const guide = await waitFor(
        () => api.call<{ guideId?: string }>('GET', `${p()}/guide`),
        (g) => Boolean(g.guideId),
        'the guide',
      );
      return guide.guideId as string;
    },
  };
}

function pick(body: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((k) => body[k] !== undefined).map((k) => [k, body[k]]));
}
