/**
 * The routes reachable without an account: the unsubscribe link of every participant email, the
 * report link of the results email and the stable link of a published guide. None trusts anything but
 * what the store says.
 */
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { Id } from '../../events/envelope.ts';
import type { Locale } from '../../events/vocabulary.ts';
import { sameNonce } from '../../shared/mail/link-token.ts';
import { readReportToken } from '../../shared/mail/report-link.ts';
import { readUnsubscribeToken } from '../../shared/mail/unsubscribe.ts';
import { documentClient, s3Client } from '../../shared/runtime/clients.ts';
import { resources } from '../../shared/runtime/environment.ts';
import { definePublicRoute, type Reply, reply } from '../../shared/runtime/http.ts';
import { problems } from '../../shared/runtime/http-problem.ts';
import { Directory, type ReportLink } from '../../shared/store/directory.ts';
import { orgPk, participantSk, processPk } from '../../shared/store/keys.ts';
import { presignedGet } from './files.ts';
import { type PublishedGuide, publishedGuideSk } from './results.ts';

/** The report link presigns a GET this long on each visit: enough to load, too short to pass around. */
export const REPORT_REDIRECT_SECONDS = 300;

const pages = {
  unsubscribed: {
    sv: { title: 'Du är avregistrerad', text: 'Du får inga fler e-postmeddelanden från den här processen.' },
    fi: { title: 'Tilauksesi on peruttu', text: 'Et saa enää sähköpostiviestejä tästä prosessista.' },
    en: { title: 'You are unsubscribed', text: 'You will receive no more emails from this process.' },
  },
  invalid: {
    sv: { title: 'Länken gäller inte', text: 'Länken är felaktig eller har slutat gälla.' },
    fi: { title: 'Linkki ei ole voimassa', text: 'Linkki on virheellinen tai vanhentunut.' },
    en: { title: 'This link is not valid', text: 'The link is wrong or no longer valid.' },
  },
} as const;

/** Pages served to anyone: no scripts, nothing fetched from elsewhere, no sniffing. */
const pageHeaders = {
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

function page(status: number, locales: readonly Locale[], kind: keyof typeof pages): Reply {
  const [first = 'sv'] = locales;
  const sections = locales
    .map(
      (locale) =>
        `<section lang="${locale}"><h1>${pages[kind][locale].title}</h1><p>${pages[kind][locale].text}</p></section>`,
    )
    .join('\n');
  return reply.html(
    status,
    `<!doctype html>
<html lang="${first}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>${pages[kind][first].title}</title>
<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;line-height:1.5}</style></head>
<body><main>
${sections}
</main></body>
</html>
`,
    pageHeaders,
  );
}

const isLocale = (value: unknown): value is Locale => value === 'sv' || value === 'fi' || value === 'en';

/**
 * Sets `unsubscribedAt` on the participant row named by the token, once, if the token's nonce is the
 * row's. (A Directory method would be its home; see the README.)
 */
async function unsubscribe(token: string): Promise<Locale | undefined> {
  const subject = readUnsubscribeToken(token);
  if (
    !subject ||
    ![subject.orgId, subject.processId, subject.participantId].every((id) => Id.safeParse(id).success)
  )
    return undefined;
  try {
    const { Attributes } = await documentClient().send(
      new UpdateCommand({
        TableName: resources.tableName,
        Key: { pk: processPk(subject.orgId, subject.processId), sk: participantSk(subject.participantId) },
        UpdateExpression: 'SET unsubscribedAt = if_not_exists(unsubscribedAt, :now)',
        ConditionExpression: 'attribute_exists(pk) AND unsubscribeNonce = :nonce',
        ExpressionAttributeValues: { ':now': new Date().toISOString(), ':nonce': subject.nonce },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return isLocale(Attributes?.locale) ? Attributes.locale : 'sv';
  } catch (error) {
    if ((error as { name?: string }).name === 'ConditionalCheckFailedException') return undefined;
    throw error;
  }
}

/** The report-link row named by the token, if the token's nonce is the row's. */
async function reportLink(token: string): Promise<ReportLink | undefined> {
  const subject = readReportToken(token);
  if (!subject || ![subject.orgId, subject.processId].every((id) => Id.safeParse(id).success))
    return undefined;
  const link = await new Directory(documentClient(), resources.tableName).reportLink(
    subject.orgId,
    subject.processId,
  );
  return link && sameNonce(subject.nonce, link.nonce) ? link : undefined;
}

const Token = z.object({ token: z.string().min(1).max(1024) });
const unsubscribeRoute = (method: 'GET' | 'POST') =>
  definePublicRoute({
    operationId: method === 'GET' ? 'unsubscribe' : 'unsubscribeOneClick',
    tag: 'public',
    method,
    path: '/unsubscribe/{token}',
    params: Token,
    response: {
      status: 200,
      description: 'A page in the participant’s language: no more emails (the same however often it is used)',
      contentType: 'text/html',
    },
    errors: [404],
    handle: async ({ params }) => {
      const locale = await unsubscribe(params.token);
      return locale ? page(200, [locale], 'unsubscribed') : page(404, ['sv', 'fi', 'en'], 'invalid');
    },
  });

export const publicRoutes = [
  unsubscribeRoute('GET'),
  // RFC 8058 one-click: mail clients POST to the List-Unsubscribe URL (List-Unsubscribe-Post header).
  unsubscribeRoute('POST'),

  definePublicRoute({
    operationId: 'openReport',
    tag: 'public',
    method: 'GET',
    path: '/reports/{token}',
    params: Token,
    response: {
      status: 302,
      description:
        'A redirect (Location) to the results report of the place, as HTML, by a GET presigned for five minutes',
    },
    errors: [404],
    handle: async ({ params }) => {
      const link = await reportLink(params.token);
      // People open this link from an email in a browser: a page in their languages, not JSON.
      if (!link) return page(404, ['sv', 'fi', 'en'], 'invalid');
      // Presigned now, with the API's current credentials: the link in the email never expires with them.
      const location = await presignedGet(link.keys.html, REPORT_REDIRECT_SECONDS);
      return {
        status: 302,
        headers: { location, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' },
      };
    },
  }),

  definePublicRoute({
    operationId: 'getPublishedGuide',
    tag: 'public',
    method: 'GET',
    path: '/guides/{orgId}/{placeId}',
    params: z.object({ orgId: Id, placeId: Id }),
    response: {
      status: 200,
      description: 'The published guide of the place, as HTML',
      contentType: 'text/html',
    },
    errors: [404],
    handle: async ({ params }) => {
      const { Item } = await documentClient().send(
        new GetCommand({
          TableName: resources.tableName,
          Key: { pk: orgPk(params.orgId), sk: publishedGuideSk(params.placeId) },
        }),
      );
      const guide = Item as PublishedGuide | undefined;
      if (!guide)
        throw problems.notFound(`no guide has been published for ${params.orgId}/${params.placeId}`);
      const object = await s3Client().send(
        new GetObjectCommand({ Bucket: resources.bucketName, Key: guide.keys.html }),
      );
      const html = (await object.Body?.transformToString('utf-8')) ?? '';
      return reply.html(200, html, { ...pageHeaders, 'cache-control': 'public, max-age=300' });
    },
  }),
];
