/** Calls of one API operation, with the DynamoDB capacity they consumed. */
export interface CallCount {
  readonly service: string;
  /** Operation name without the `Command` suffix: `PutItem`, `GetObject`, `SendMessage`. */
  readonly operation: string;
  readonly calls: number;
  /** DynamoDB read request units consumed (0 elsewhere). */
  readonly readUnits: number;
  /** DynamoDB write request units consumed (0 elsewhere). */
  readonly writeUnits: number;
}

/** What the counter needs of an SDK v3 client: its middleware stack. */
export interface CountableClient {
  readonly middlewareStack: {
    add(middleware: (next: Handler, context: { commandName?: string }) => Handler, options: { step: 'initialize'; name: string; override?: boolean }): void;
  };
}
type Handler = (args: { input: object }) => Promise<{ output: object }>;

/** A DynamoDB key attribute, plain (document client) or marshalled (`{ S: ... }`). */
function keyText(value: unknown): string {
  if (typeof value === 'string') return value;
  const s = (value as { S?: unknown } | undefined)?.S;
  return typeof s === 'string' ? s : '';
}

/** The kind of one item from its key: the partition key's prefix, `MSG` for a message (its sort key). */
function kindOfKey(item: Record<string, unknown>): string {
  const sk = keyText(item.sk);
  return sk.startsWith('MSG#') ? 'MSG' : (keyText(item.pk).split('#')[0] ?? '');
}

type Key = Record<string, unknown>;
type BatchRequests = { Keys?: Key[] } | { PutRequest?: { Item?: Key }; DeleteRequest?: { Key?: Key } }[];

/**
 * The kind of item a DynamoDB request touches, from its key's prefix (`INBOUND`, `CONV`, `MSGID`,
 * ...; a message is `MSG`, from its sort key; a query names its partition's prefix). A batch
 * names the distinct kinds of its items joined by `+`. Empty for other services.
 */
export function itemKindOf(input: object): string {
  const i = input as {
    Item?: Record<string, unknown>;
    Key?: Record<string, unknown>;
    RequestItems?: Record<string, BatchRequests>;
    ExpressionAttributeValues?: Record<string, unknown>;
  };
  const item = i.Item ?? i.Key;
  if (item) return kindOfKey(item);
  if (i.RequestItems) {
    const keys = Object.values(i.RequestItems).flatMap((requests): Record<string, unknown>[] =>
      Array.isArray(requests)
        ? requests.flatMap((r): Key[] => {
            const k = r.PutRequest?.Item ?? r.DeleteRequest?.Key;
            return k ? [k] : [];
          })
        : (requests.Keys ?? []),
    );
    return [...new Set(keys.map(kindOfKey))].join('+');
  }
  const pk = i.ExpressionAttributeValues?.[':pk'];
  return pk === undefined ? '' : (keyText(pk).split('#')[0] ?? '');
}

const READS = new Set(['GetItem', 'BatchGetItem', 'Query', 'Scan']);

/** Whether a DynamoDB operation consumes read units (else write units). */
export function isReadOperation(operation: string): boolean {
  return READS.has(operation);
}

function capacityOf(output: unknown): number | null {
  const consumed = (output as { ConsumedCapacity?: unknown } | undefined)?.ConsumedCapacity;
  const list = Array.isArray(consumed) ? consumed : consumed ? [consumed] : [];
  if (list.length === 0) return null;
  return list.reduce((sum: number, c: { CapacityUnits?: number }) => sum + (c.CapacityUnits ?? 0), 0);
}

/**
 * Counts API calls at the client: one per command sent, whatever the outcome. On DynamoDB
 * clients it also asks for `ReturnConsumedCapacity: TOTAL` and adds up the units; a write that
 * fails its condition is counted as 1 WRU, as DynamoDB bills it (the error carries no capacity).
 */
export class CallCounter {
  private readonly rows = new Map<string, { service: string; operation: string; calls: number; readUnits: number; writeUnits: number }>();
  private calls: string[] = [];
  private units: number[] = [];

  /** Adds the counting middleware to a client (SDK v3 client or DynamoDB document client). */
  attach<C extends CountableClient>(client: C, service: string): C {
    const dynamo = service === 'DynamoDB';
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const operation = (context.commandName ?? 'Unknown').replace(/Command$/, '');
        if (dynamo) Object.assign(args.input, { ReturnConsumedCapacity: 'TOTAL' });
        const at = this.calls.push(`${service} ${operation}${dynamo ? ` ${itemKindOf(args.input)}` : ''}`) - 1;
        this.units[at] = 0;
        try {
          const result = await next(args);
          this.record(service, operation, dynamo ? (capacityOf(result.output) ?? 1) : 0, at);
          return result;
        } catch (error) {
          this.record(service, operation, dynamo ? 1 : 0, at);
          throw error;
        }
      },
      { step: 'initialize', name: 'benchCallCounter', override: true },
    );
    return client;
  }

  /** Records one call; `units` are read units for read operations, write units otherwise; `at` is its place in `sequence`. */
  record(service: string, operation: string, units = 0, at?: number): void {
    if (at !== undefined) this.units[at] = units;
    const key = `${service} ${operation}`;
    const row = this.rows.get(key) ?? { service, operation, calls: 0, readUnits: 0, writeUnits: 0 };
    row.calls += 1;
    if (isReadOperation(operation)) row.readUnits += units;
    else row.writeUnits += units;
    this.rows.set(key, row);
  }

  /** Every call so far in order, as `service operation [item kind]`. */
  sequence(): string[] {
    return [...this.calls];
  }

  /** The capacity units of each call in `sequence()`, in the same order (0 outside DynamoDB). */
  unitSequence(): number[] {
    return [...this.units];
  }

  /** The counts so far, by service then operation. */
  snapshot(): CallCount[] {
    return [...this.rows.values()].map((r) => ({ ...r })).sort((a, b) => `${a.service} ${a.operation}`.localeCompare(`${b.service} ${b.operation}`));
  }

  total(): number {
    let sum = 0;
    for (const row of this.rows.values()) sum += row.calls;
    return sum;
  }

  reset(): void {
    this.rows.clear();
    this.calls = [];
    this.units = [];
  }
}
