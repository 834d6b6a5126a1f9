/**
 * The organisation's directory: places, users (facilitators, coordinators), and the personal data of
 * participants and plan contacts. Personal data lives only in these rows, never in events or logs,
 * so erasing a participant is deleting one row's fields. Also the rows that links in emails open
 * (a process's report link).
 */
import { type DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { AgeGroup, Locale, Role, Sector } from '../../events/vocabulary.ts';
import { orgPk, participantSk, placeSk, planContactsSk, processPk, REPORT_LINK_SK, userSk } from './keys.ts';
import type { RowAttributes } from './process-store.ts';

export interface Place {
  placeId: string;
  name: string;
  municipality: string;
  region: string;
  population?: number;
  createdAt: string;
}

export interface User {
  userId: string;
  name: string;
  email: string;
  locale: Locale;
  role: Role;
}

export interface Participant {
  participantId: string;
  processId: string;
  name: string;
  email: string;
  locale: Locale;
  sector: Sector;
  ageGroup: AgeGroup;
  consent: { recording: boolean; contact: boolean };
  /** Compared with the nonce in the participant's unsubscribe links (shared/mail/unsubscribe.ts). */
  unsubscribeNonce: string;
  /** Set when the participant used the unsubscribe link, or marked an email as spam. */
  unsubscribedAt?: string;
  /** Set when erased: name and email are then gone. */
  erasedAt?: string;
}

export interface Contact {
  name: string;
  email: string;
  locale?: Locale;
}

export interface PlanContacts {
  planId: string;
  owner?: Contact;
  partners: Contact[];
}

/** What `/reports/{token}` opens: the report files of a process, and the nonce its tokens must carry. */
export interface ReportLink {
  /** Compared with the nonce in the results email's report link (shared/mail/report-link.ts). */
  nonce: string;
  keys: { markdown: string; html: string; json: string };
}

export class PlaceExistsError extends Error {
  override readonly name = 'PlaceExistsError';
  constructor(placeId: string) {
    super(`place ${placeId} already exists`);
  }
}

/** Rows for the process transaction (see ProcessStore `rows`). */
export const rows = {
  participant: (orgId: string, participant: Participant) => ({
    pk: processPk(orgId, participant.processId),
    sk: participantSk(participant.participantId),
    itemType: 'participant',
    ...participant,
  }),
  erasedParticipant: (orgId: string, participant: Participant, at: string) => {
    const { name: _name, email: _email, ...rest } = participant;
    return {
      pk: processPk(orgId, participant.processId),
      sk: participantSk(participant.participantId),
      itemType: 'participant',
      ...rest,
      name: '',
      email: '',
      erasedAt: at,
    };
  },
  /** No more emails: `unsubscribedAt`, kept if already set (a complaint to SES, like the unsubscribe link). */
  unsubscribed: (orgId: string, processId: string, participantId: string, at: string): RowAttributes => ({
    key: { pk: processPk(orgId, processId), sk: participantSk(participantId) },
    attributes: { unsubscribedAt: at },
  }),
  planContacts: (orgId: string, processId: string, contacts: PlanContacts) => ({
    pk: processPk(orgId, processId),
    sk: planContactsSk(contacts.planId),
    itemType: 'planContacts',
    ...contacts,
  }),
  /** Written once, with Results.Compiled: a redelivery is a duplicate and leaves the nonce alone. */
  reportLink: (orgId: string, processId: string, link: ReportLink) => ({
    pk: processPk(orgId, processId),
    sk: REPORT_LINK_SK,
    itemType: 'reportLink',
    ...link,
  }),
};

export class Directory {
  readonly #client: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(client: DynamoDBDocumentClient, tableName: string) {
    this.#client = client;
    this.#table = tableName;
  }

  async createPlace(orgId: string, place: Place): Promise<void> {
    try {
      await this.#client.send(
        new PutCommand({
          TableName: this.#table,
          Item: { pk: orgPk(orgId), sk: placeSk(place.placeId), itemType: 'place', ...place },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if ((error as { name?: string }).name === 'ConditionalCheckFailedException')
        throw new PlaceExistsError(place.placeId);
      throw error;
    }
  }

  async place(orgId: string, placeId: string): Promise<Place | undefined> {
    return this.#get<Place>(orgPk(orgId), placeSk(placeId));
  }

  async places(orgId: string): Promise<Place[]> {
    return this.#query<Place>(orgPk(orgId), 'PLACE#');
  }

  async putUser(orgId: string, user: User): Promise<void> {
    await this.#client.send(
      new PutCommand({
        TableName: this.#table,
        Item: { pk: orgPk(orgId), sk: userSk(user.userId), itemType: 'user', ...user },
      }),
    );
  }

  async user(orgId: string, userId: string): Promise<User | undefined> {
    return this.#get<User>(orgPk(orgId), userSk(userId));
  }

  async participant(
    orgId: string,
    processId: string,
    participantId: string,
  ): Promise<Participant | undefined> {
    return this.#get<Participant>(processPk(orgId, processId), participantSk(participantId));
  }

  async participants(orgId: string, processId: string): Promise<Participant[]> {
    return this.#query<Participant>(processPk(orgId, processId), 'PARTICIPANT#');
  }

  async planContacts(orgId: string, processId: string, planId: string): Promise<PlanContacts | undefined> {
    return this.#get<PlanContacts>(processPk(orgId, processId), planContactsSk(planId));
  }

  /** A consistent read: the notifier reads it right after the transaction that wrote it is published. */
  async reportLink(orgId: string, processId: string): Promise<ReportLink | undefined> {
    return this.#get<ReportLink>(processPk(orgId, processId), REPORT_LINK_SK, true);
  }

  async #get<T>(pk: string, sk: string, consistent = false): Promise<T | undefined> {
    const { Item } = await this.#client.send(
      new GetCommand({
        TableName: this.#table,
        Key: { pk, sk },
        ...(consistent ? { ConsistentRead: true } : {}),
      }),
    );
    return Item ? (strip(Item) as T) : undefined;
  }

  async #query<T>(pk: string, prefix: string): Promise<T[]> {
    const items: T[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.#client.send(
        new QueryCommand({
          TableName: this.#table,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': pk, ':prefix': prefix },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) items.push(strip(item) as T);
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return items;
  }
}

function strip(item: Record<string, unknown>) {
  const {
    pk: _pk,
    sk: _sk,
    itemType: _type,
    gsi1pk: _g1,
    gsi1sk: _g1s,
    gsi2pk: _g2,
    gsi2sk: _g2s,
    ...rest
  } = item;
  return rest;
}
