/**
 * The local SES v2 with the real SDK: what participants would receive lands as .eml files in the
 * outbox, bad input is refused the way SES refuses it, and mail to the SES mailbox simulator sent with
 * a configuration set is answered with the bounce and complaint events SES publishes.
 */
import { readdir } from 'node:fs/promises';
import { SESv2Client, SendEmailCommand, type SendEmailCommandInput } from '@aws-sdk/client-sesv2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../local/clock.ts';
import {
  type LocalSes,
  listOutbox,
  readMessage,
  type SesEventEntry,
  simulatorScenario,
  startSes,
} from '../../local/ses/index.ts';

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
      expect(ses.metrics()).toMatchObject({ sent, failed: failed + 1 });
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

describe('the mailbox simulator, through a configuration set', () => {
  const CONFIGURATION_SET = 'samskapa-test';
  let simulator: LocalSes;
  let published: SesEventEntry[] = [];
  let refuse = false;

  beforeAll(async () => {
    simulator = await startSes({
      clock,
      configurationSets: [CONFIGURATION_SET],
      accountId: '000000000000',
      publish: async (entry) => {
        if (refuse) throw new Error('the bus is down');
        published.push(entry);
      },
    });
  });
  afterAll(() => simulator.stop());

  const send = async (to: string, overrides: Partial<SendEmailCommandInput> = {}) => {
    published = [];
    const local = new SESv2Client({
      region: 'eu-north-1',
      endpoint: simulator.endpoint,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });
    try {
      const { MessageId } = await local.send(
        new SendEmailCommand({
          FromEmailAddress: FROM,
          Destination: { ToAddresses: [to] },
          Content: { Simple: { Subject: { Data: 'Inbjudan' }, Body: { Text: { Data: 'Välkommen!' } } } },
          ConfigurationSetName: CONFIGURATION_SET,
          EmailTags: [
            { Name: 'notificationId', Value: 'n-invite-1' },
            { Name: 'recipientId', Value: 'p-0' },
          ],
          ...overrides,
        }),
      );
      await simulator.idle();
      return MessageId ?? '';
    } finally {
      local.destroy();
    }
  };
  const details = () =>
    published.map((entry) => ({ type: entry.DetailType, detail: JSON.parse(entry.Detail) }));

  it('knows the simulator’s addresses, labels included', () => {
    expect(simulatorScenario('bounce@simulator.amazonses.com')).toBe('bounce');
    expect(simulatorScenario('Complaint+label-1@SIMULATOR.amazonses.com')).toBe('complaint');
    expect(simulatorScenario('nobody@simulator.amazonses.com')).toBeUndefined();
    expect(simulatorScenario('bounce@example.org')).toBeUndefined();
  });

  it('answers bounce@ with a permanent bounce, tagged as SES tags it, after accepting the message', async () => {
    const messageId = await send('Anna <bounce@simulator.amazonses.com>');
    expect(await readMessage(simulator.dataDir, messageId)).toBeDefined();
    expect(published).toHaveLength(1);
    expect(published[0]).toMatchObject({
      Source: 'aws.ses',
      DetailType: 'Email Bounced',
      Resources: [`arn:aws:ses:eu-north-1:000000000000:configuration-set/${CONFIGURATION_SET}`],
    });
    expect(details()[0]?.detail).toEqual({
      eventType: 'Bounce',
      bounce: {
        feedbackId: expect.stringMatching(/^0102[0-9a-f]{12}-[0-9a-f-]{36}-000000$/),
        bounceType: 'Permanent',
        bounceSubType: 'General',
        bouncedRecipients: [
          {
            emailAddress: 'bounce@simulator.amazonses.com',
            action: 'failed',
            status: '5.1.1',
            diagnosticCode: 'smtp; 550 5.1.1 user unknown',
          },
        ],
        timestamp: new Date(clock.now()).toISOString(),
        reportingMTA: 'dsn; simulator.amazonses.com',
      },
      mail: {
        timestamp: new Date(clock.now()).toISOString(),
        source: FROM,
        sourceArn: 'arn:aws:ses:eu-north-1:000000000000:identity/samskapa.example',
        sendingAccountId: '000000000000',
        messageId,
        destination: ['bounce@simulator.amazonses.com'],
        headersTruncated: false,
        tags: {
          'ses:configuration-set': [CONFIGURATION_SET],
          'ses:operation': ['SendEmail'],
          'ses:source-ip': ['127.0.0.1'],
          'ses:from-domain': ['samskapa.example'],
          'ses:caller-identity': ['samskapa-local'],
          notificationId: ['n-invite-1'],
          recipientId: ['p-0'],
        },
      },
    });
  });

  it('answers complaint@ with a complaint and suppressionlist@ with a suppressed hard bounce', async () => {
    await send('complaint@simulator.amazonses.com');
    expect(details()).toEqual([
      {
        type: 'Email Complaint Received',
        detail: expect.objectContaining({
          eventType: 'Complaint',
          complaint: expect.objectContaining({
            complaintFeedbackType: 'abuse',
            complainedRecipients: [{ emailAddress: 'complaint@simulator.amazonses.com' }],
          }),
        }),
      },
    ]);
    await send('suppressionlist+x@simulator.amazonses.com');
    expect(details()).toEqual([
      {
        type: 'Email Bounced',
        detail: expect.objectContaining({
          bounce: expect.objectContaining({ bounceType: 'Permanent', bounceSubType: 'Suppressed' }),
        }),
      },
    ]);
  });

  it('publishes nothing for success@ and ooto@ (delivered), nor for anyone else', async () => {
    for (const to of [
      'success@simulator.amazonses.com',
      'ooto@simulator.amazonses.com',
      'asa@byalaget.example',
    ]) {
      const messageId = await send(to);
      expect(await readMessage(simulator.dataDir, messageId)).toBeDefined();
      expect(published).toEqual([]);
    }
  });

  it('publishes nothing without a configuration set, as SES publishes only through one', async () => {
    await send('bounce@simulator.amazonses.com', { ConfigurationSetName: undefined });
    expect(published).toEqual([]);
  });

  it('answers Raw content too, with the raw message’s recipients', async () => {
    const data = Buffer.from(
      `From: ${FROM}\r\nTo: bounce@simulator.amazonses.com\r\nSubject: x\r\nList-Unsubscribe: ${UNSUBSCRIBE}\r\n\r\nbody\r\n`,
    );
    await send('unused@example.org', { Destination: undefined, Content: { Raw: { Data: data } } });
    expect(details()[0]?.detail.mail.destination).toEqual(['bounce@simulator.amazonses.com']);
  });

  it('refuses a configuration set that does not exist, and writes nothing', async () => {
    const before = (await readdir(simulator.outbox)).length;
    await expect(
      send('bounce@simulator.amazonses.com', { ConfigurationSetName: 'nonexistent' }),
    ).rejects.toMatchObject({
      name: 'NotFoundException',
      message: 'Configuration set <nonexistent> does not exist.',
    });
    expect((await readdir(simulator.outbox)).length).toBe(before);
  });

  it('keeps an event the bus refused, with the error', async () => {
    refuse = true;
    try {
      await send('bounce@simulator.amazonses.com');
    } finally {
      refuse = false;
    }
    expect(simulator.undelivered().at(-1)).toMatchObject({
      entry: { DetailType: 'Email Bounced' },
      error: 'the bus is down',
    });
    expect(simulator.metrics().publishFailed).toBe(1);
  });
});
