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

// The bodies of the API, as its OpenAPI document describes them: generated from
// docs/openapi.json (itself generated from the server's Rust types) by scripts/console.
export type {
  ConfigKeyInfo,
  ConnectorInfo,
  ConnectorMetrics as Metrics,
  ConnectorState,
  ConnectorStateInfo,
  DeadLetter,
  DeadLetterPage,
  Finding,
  PartitionStatus,
  Preview,
  PreviewRecord,
  Proposal,
  ReasonCode,
  ReplayResult,
  SourceChoice,
  TaskState,
  TopicRow,
} from "./openapi";

export const enc = encodeURIComponent;
