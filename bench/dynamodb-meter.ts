/**
 * A metering proxy in front of DynamoDB Local: asks for ReturnConsumedCapacity on every request the
 * functions make and adds up the write and read request units, as on-demand billing would count them.
 * Transactions that complete a stage are counted apart, for the cost of one stage transition.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems']);
const READS = new Set(['GetItem', 'Query', 'Scan', 'BatchGetItem', 'TransactGetItems']);

export interface Meter {
  endpoint: string;
  /** Where requests go: DynamoDB Local's endpoint, known once the runtime has started. */
  target: string;
  totals: { writeUnits: number; readUnits: number; requests: number };
  stageTransitions: { count: number; writeUnits: number };
  reset(): void;
  stop(): Promise<void>;
}

export async function startDynamoDbMeter(): Promise<Meter> {
  const totals = { writeUnits: 0, readUnits: 0, requests: 0 };
  const stageTransitions = { count: 0, writeUnits: 0 };
  const meter = { target: '' };
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const operation = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
    let body = Buffer.concat(chunks).toString('utf8');
    let request: Record<string, unknown> | undefined;
    if (WRITES.has(operation) || READS.has(operation)) {
      request = JSON.parse(body) as Record<string, unknown>;
      request.ReturnConsumedCapacity = 'INDEXES';
      body = JSON.stringify(request);
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (typeof value === 'string' && !['host', 'content-length', 'connection'].includes(name))
        headers[name] = value;
    }
    const response = await fetch(`${meter.target}${req.url ?? '/'}`, {
      method: req.method ?? 'POST',
      headers,
      body,
    });
    const text = await response.text();
    if (request && response.ok) {
      totals.requests++;
      const consumed = (JSON.parse(text) as { ConsumedCapacity?: unknown }).ConsumedCapacity;
      const units = [consumed]
        .flat()
        .reduce<number>(
          (sum, c) => sum + ((c as { CapacityUnits?: number } | undefined)?.CapacityUnits ?? 0),
          0,
        );
      if (WRITES.has(operation)) totals.writeUnits += units;
      else totals.readUnits += units;
      if (operation === 'TransactWriteItems' && body.includes('"detailType":{"S":"Stage.Completed"}')) {
        stageTransitions.count++;
        stageTransitions.writeUnits += units;
      }
    }
    res.writeHead(response.status, {
      'content-type': response.headers.get('content-type') ?? 'application/x-amz-json-1.0',
    });
    res.end(text);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get target() {
      return meter.target;
    },
    set target(value: string) {
      meter.target = value;
    },
    totals,
    stageTransitions,
    reset() {
      Object.assign(totals, { writeUnits: 0, readUnits: 0, requests: 0 });
      Object.assign(stageTransitions, { count: 0, writeUnits: 0 });
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
