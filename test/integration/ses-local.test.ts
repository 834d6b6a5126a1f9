/**
 * The local SES v2 with the real SDK: what participants would receive lands as .eml files in the
 * outbox, and bad input is refused the way SES refuses it.
 */
import { readdir } from 'node:fs/promises';
import { SESv2Client, SendEmailCommand, type SendEmailCommandInput } from '@aws-sdk/client-sesv2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../local/clock.ts';
import { type LocalSes, listOutbox, readMessage, startSes } from '../../local/ses/index.ts';

let ses: LocalSes;
let client: SESv2Client;
const clock = new ManualClock('2026-04-14T08:30:00Z');

const FROM = 'Samskapa <noreply@samskapa.example>';
const UNSUBSCRIBE = '<https://samskapa.example/unsubscribe?token=abc123>';

const emlFiles = async () => (await readdir(ses.outbox)).filter((name) => name.endsWith('.eml'));

beforeAll(async () => {
  ses = await startSes({ clock });
  // What every function does: a plain client; the endpoint comes from AWS_ENDPOINT_URL_SESV2.
  process.env.AWS_ENDPOINT_URL_SESV2 = ses.endpoint;
  client = new SESv2Client({
    region: 'eu-north-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
});

afterAll(async () => {
  client.destroy();
  delete process.env.AWS_ENDPOINT_URL_SESV2;
  await ses.stop();
});

describe('SendEmail', () => {
  it('writes Simple content (text + html, custom header, attachment) as an RFC 5322 message', async () => {
    const { MessageId } = await client.send(
      new SendEmailCommand({
        FromEmailAddress: FROM,
        Destination: {
          ToAddresses: ['Åsa Öberg <asa@byalaget.example>'],
          CcAddresses: ['kommun@ort.example'],
        },
        ReplyToAddresses: ['facilitator@region.example'],
        Content: {
          Simple: {
            Subject: { Data: 'Resultat från Smarta Orter – Östby', Charset: 'UTF-8' },
            Body: {
              Text: { Data: 'Hej! Här är resultatet från workshopen i Östby.' },
              Html: { Data: '<p>Hej! Här är <b>resultatet</b> från workshopen i Östby.</p>' },
            },
            Headers: [
              { Name: 'List-Unsubscribe', Value: UNSUBSCRIBE },
              { Name: 'List-Unsubscribe-Post', Value: 'List-Unsubscribe=One-Click' },
            ],
            Attachments: [
              {
                FileName: 'resultat.pdf',
                ContentType: 'application/pdf',
                RawContent: Buffer.from('%PDF-1.7 results'),
              },
            ],
          },
        },
      }),
    );
    expect(MessageId).toMatch(/^0100[0-9a-f]{12}-[0-9a-f-]{36}-000000$/);
    expect(await emlFiles()).toContain(`${MessageId}.eml`);

    const message = await readMessage(ses.dataDir, MessageId ?? '');
    expect(message).toMatchObject({
      from: 'Samskapa <noreply@samskapa.example>',
      to: 'Åsa Öberg <asa@byalaget.example>',
      cc: 'kommun@ort.example',
      subject: 'Resultat från Smarta Orter – Östby',
      date: 'Tue, 14 Apr 2026 08:30:00 +0000',
      messageId: `<${MessageId}@eu-north-1.amazonses.com>`,
      listUnsubscribe: UNSUBSCRIBE,
      text: 'Hej! Här är resultatet från workshopen i Östby.',
      html: '<p>Hej! Här är <b>resultatet</b> från workshopen i Östby.</p>',
      attachments: [{ filename: 'resultat.pdf', contentType: 'application/pdf', sizeBytes: 16 }],
    });
    // The structure a mail client expects: mixed (body + attachment) around alternative (text, html).
    expect(message?.raw).toMatch(/^Content-Type: multipart\/mixed;/m);
    expect(message?.raw).toMatch(/^Content-Type: multipart\/alternative;/m);
    expect(message?.raw).toMatch(/^Content-Type: text\/plain; charset=utf-8/m);
    expect(message?.raw).toMatch(/^Content-Type: text\/html; charset=utf-8/m);
    expect(message?.raw).toMatch(/^MIME-Version: 1\.0\r$/m);
    expect(message?.raw).toMatch(/^Reply-To: facilitator@region\.example\r$/m);
    expect(message?.raw.split('\r\n').every((line) => line.length <= 998)).toBe(true);
  });

  it('writes Raw content as sent, with the Message-ID SES assigns', async () => {
    const raw = [
      'From: Samskapa <noreply@samskapa.example>',
      'To: partner@foretag.example',
      'Subject: Plan approved',
      'Message-ID: <sender-chosen@samskapa.example>',
      'MIME-Version: 1.0',
      'Content-Type: multipart/alternative; boundary="b1"',
      '',
      '--b1',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'The plan for Östby was approved.',
      '--b1',
      'Content-Type: text/html; charset=utf-8',
      '',
      '<p>The plan for Östby was approved.</p>',
      '--b1--',
      '',
    ].join('\r\n');
    clock.advance(60_000);
    const { MessageId } = await client.send(
      new SendEmailCommand({ Content: { Raw: { Data: Buffer.from(raw) } } }),
    );

    const message = await readMessage(ses.dataDir, MessageId ?? '');
    expect(message).toMatchObject({
      from: 'Samskapa <noreply@samskapa.example>',
      to: 'partner@foretag.example',
      subject: 'Plan approved',
      messageId: `<${MessageId}@eu-north-1.amazonses.com>`,
      date: 'Tue, 14 Apr 2026 08:31:00 +0000',
      text: 'The plan for Östby was approved.',
      html: '<p>The plan for Östby was approved.</p>',
    });
    expect(message?.raw).not.toContain('sender-chosen');
    expect(message?.raw).toContain(
      '--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe plan for Östby was approved.',
    );
  });

  it('lists the outbox newest first with the headers the console shows', async () => {
    const outbox = await listOutbox(ses.dataDir);
    expect(outbox.map((entry) => entry.subject).slice(0, 2)).toEqual([
      'Plan approved',
      'Resultat från Smarta Orter – Östby',
    ]);
    expect(outbox[1]).toMatchObject({ listUnsubscribe: UNSUBSCRIBE, to: 'Åsa Öberg <asa@byalaget.example>' });
    expect(outbox[1]?.sizeBytes).toBeGreaterThan(500);
    expect(await readMessage(ses.dataDir, '../../etc/passwd')).toBeUndefined();
  });
});

describe('bad input is refused as SES refuses it, and nothing is written', () => {
  const simple = (overrides: Partial<SendEmailCommandInput>): SendEmailCommandInput => ({
    FromEmailAddress: FROM,
    Destination: { ToAddresses: ['deltagare@ort.example'] },
    Content: { Simple: { Subject: { Data: 'Inbjudan' }, Body: { Text: { Data: 'Välkommen!' } } } },
    ...overrides,
  });

  it.each([
    ['a malformed recipient', { Destination: { ToAddresses: ['not an address@@ort'] } }, 'Illegal address'],
    [
      'a recipient without a domain',
      { Destination: { ToAddresses: ['deltagare'] } },
      "Missing final '@domain'",
    ],
    ['a malformed sender', { FromEmailAddress: 'noreply@' }, 'Illegal address'],
    ['no sender', { FromEmailAddress: undefined }, 'FromEmailAddress is required for Simple content.'],
    ['no recipients', { Destination: undefined }, 'Recipient count must be at least 1.'],
    [
      'more than 50 recipients',
      {
        Destination: {
          ToAddresses: Array.from({ length: 30 }, (_, i) => `to${i}@ort.example`),
          BccAddresses: Array.from({ length: 21 }, (_, i) => `bcc${i}@ort.example`),
        },
      },
      'Recipient count exceeds 50.',
    ],
    [
      'an empty body',
      { Content: { Simple: { Subject: { Data: 'Tomt' }, Body: { Text: { Data: '' } } } } },
      'Content.Simple.Body needs Text or Html data; the message body is empty.',
    ],
    ['no content', { Content: {} }, 'Content must contain exactly one of Simple, Raw or Template.'],
  ] as [string, Partial<SendEmailCommandInput>, string][])(
    '%s -> BadRequestException',
    async (_case, overrides, message) => {
      const before = await emlFiles();
      const { sent, failed } = ses.metrics();
      await expect(client.send(new SendEmailCommand(simple(overrides)))).rejects.toMatchObject({
        name: 'BadRequestException',
        message,
        $metadata: { httpStatusCode: 400 },
      });
      expect(await emlFiles()).toEqual(before);
      expect(ses.metrics()).toEqual({ sent, failed: failed + 1 });
    },
  );

  it('a raw message without From -> BadRequestException', async () => {
    const data = Buffer.from('To: deltagare@ort.example\r\nSubject: x\r\n\r\nbody\r\n');
    await expect(
      client.send(new SendEmailCommand({ Content: { Raw: { Data: data } } })),
    ).rejects.toMatchObject({
      name: 'BadRequestException',
      message: "Missing required header 'From'.",
    });
  });

  it('a template that does not exist -> NotFoundException', async () => {
    await expect(
      client.send(
        new SendEmailCommand(
          simple({ Content: { Template: { TemplateName: 'invitation-sv', TemplateData: '{}' } } }),
        ),
      ),
    ).rejects.toMatchObject({ name: 'NotFoundException' });
  });
});
