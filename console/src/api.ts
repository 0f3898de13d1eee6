// The console's only way to the server: inlet serve's public API, same origin. Every call
// here is one a script can make (README, "Running as a service").

/** A refusal of the API: its HTTP status and the message that says what to do. */
export class ApiError extends Error {
  constructor(
    public status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Kafka Connect's flat configuration map. */
export type FlatConfig = Record<string, string>;

/** Calls the API; resolves to the JSON answer (undefined for 202/204), or throws ApiError. */
export async function api<T = unknown>(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<T> {
  return (await apiWithEtag<T>(method, path, body, headers)).json;
}

/** As [`api`], with the answer's `ETag` (the connector's version, `"7"`; null without). */
export async function apiWithEtag<T = unknown>(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ json: T; etag: string | null }> {
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers: body === undefined ? headers : { "Content-Type": "application/json", ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new ApiError(0, `inlet serve does not answer (${String(e)}): is it running?`);
  }
  const text = await response.text();
  let json: unknown = undefined;
  if (text) {
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
  }
  if (!response.ok) {
    const message =
      json && typeof json === "object" && "message" in json
        ? String((json as { message: unknown }).message)
        : `${response.status} ${response.statusText}`;
    throw new ApiError(response.status, message);
  }
  return { json: json as T, etag: response.headers.get("ETag") };
}

/** A check's finding (`/inlet/v1/kafka/check`, `/inlet/v1/registry/check`). */
export interface Finding {
  ok: boolean;
  what: string;
  detail: string;
}

export interface TopicRow {
  name: string;
  partitions: number;
  value_subject: string | null;
  latest_schema_id: number | null;
  /** Why the latest schema id was not read (a slow or failing registry); null when read. */
  latest_schema_error?: string | null;
}

export interface SourceChoice {
  source: string;
  avro_type: string;
  types: string[];
}

export interface Proposal {
  schema: string;
  table: string;
  columns: { name: string; type: string; nullable: boolean }[];
  mapping: { column: string; source: string }[];
  time_column: string | null;
  ddl: string;
  sources: SourceChoice[];
  exists: boolean;
  existing_columns: { name: string; type: string; nullable: boolean; has_default: boolean }[] | null;
  timescaledb: boolean;
}

export interface PreviewRecord {
  partition: number;
  offset: number;
  outcome: "row" | "delete" | "dead_letter";
  values?: Record<string, unknown>;
  reason?: string;
}

export interface Preview {
  table: string;
  ddl: string | null;
  columns: [string, string][];
  records: PreviewRecord[];
}

export interface TaskState {
  id: number;
  state: string;
  worker_id: string;
  trace?: string;
}

export interface ConnectorStatus {
  name: string;
  connector: { state: string; worker_id: string; trace?: string };
  tasks: TaskState[];
  type: string;
}

export interface ConnectorInfo {
  name: string;
  config: FlatConfig;
  tasks: { connector: string; task: number }[];
  type: string;
}

export interface PartitionStatus {
  topic: string;
  partition: number;
  next_offset: number;
  last_stable_offset: number | null;
  lag: number | null;
}

export interface Metrics {
  rows_per_second: number;
  rows: number;
  dead_letters: number;
  lag: number | null;
  partitions: PartitionStatus[];
  schemas: { topic: string; schema_id: number; unstored_fields: string[] }[];
  last_error: string | null;
  held_up_by: string | null;
  history: { at_ms: number; rows_per_second: number; dead_letters: number; lag: number | null }[];
}

export interface DeadLetter {
  id: number;
  topic: string;
  partition: number;
  offset: number;
  timestamp_ms: number | null;
  key_bytes: number | null;
  value_bytes: number | null;
  headers: unknown;
  schema_id: number | null;
  error: string;
  failed_at: string;
  /** When its record last failed (met again after an offset reset, or a replay failed). */
  last_seen: string;
  /** How many times its record failed. */
  attempts: number;
  replayed_at: string | null;
  replays: number;
}

export interface DeadLetterPage {
  dead_letters: DeadLetter[];
  next_after: number | null;
  reasons: { reason: string; count: number }[];
}

export const enc = encodeURIComponent;
