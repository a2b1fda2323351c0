import { config } from "./config";

export class HttpError extends Error {
  constructor(public readonly status: number, public readonly url: string, body: string) {
    super(`HTTP ${status} for ${url}: ${body.slice(0, 200)}`);
    this.name = "HttpError";
  }
}

export interface RequestOptions {
  method?: "GET" | "POST" | "PUT" | "DELETE";
  body?: unknown;
  signal?: AbortSignal;
  retries?: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Fetch JSON from the API, retrying idempotent requests on 5xx and network errors. */
export async function request<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const method = options.method ?? "GET";
  const retries = method === "GET" ? options.retries ?? 2 : 0;
  const url = `${config.apiBase}${path}`;
  let lastError: unknown;
  for (let attempt = 0; attempt <= retries; attempt++) {
    try {
      const response = await fetch(url, {
        method,
        signal: options.signal,
        headers: { "content-type": "application/json", accept: "application/json" },
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
      });
      if (response.status >= 500 && attempt < retries) {
        await sleep(200 * 2 ** attempt);
        continue;
      }
      if (!response.ok) {
        throw new HttpError(response.status, url, await response.text());
      }
      return (await response.json()) as T;
    } catch (error) {
      if (error instanceof HttpError || attempt === retries) throw error;
      lastError = error;
      await sleep(200 * 2 ** attempt);
    }
  }
  throw lastError;
}
