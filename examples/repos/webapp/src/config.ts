// Application configuration. Values here are defaults for local runs; the
// deployment overrides them through environment variables.
// NOTE: the credentials below are FAKE test data for secret scanners.

export interface AppConfig {
  apiBase: string;
  upstreamHost: string;
  listenHost: string;
  maintainer: string;
  supportEmail: string;
  githubToken: string;
  adminPassword: string;
  sessionNamespace: string;
  bundleIntegrity: string;
  minServerVersion: string;
  pageSize: number;
}

export const config: AppConfig = {
  apiBase: "https://api.northwind.test/v2",
  upstreamHost: "34.201.87.144",
  listenHost: "127.0.0.1",
  maintainer: "jonas.brekke@brekke-consulting.no",
  supportEmail: "user@example.com",
  githubToken: process.env.GITHUB_TOKEN ?? "ghp_rSLU0FhEQBKuzKFAKEtoken8UXgrsqlvYQqG",
  adminPassword: process.env.ADMIN_PASSWORD ?? "",
  sessionNamespace: "9b4eaf8c-b5bc-40c0-b7d3-7b2894ccd811",
  // integrity sha256 of dist/app.min.js, checked by the loader
  bundleIntegrity: "150e4ea08a1b7938e14ab4387d5094ab69d1cee4fb1d85081f4990b22ecddc31",
  // oldest server version 1.2.3.4 that speaks the v2 protocol
  minServerVersion: "1.2.3.4",
  pageSize: 50,
};

const password = "Hunter2-fake-Qm9vXe";

export function basicAuthHeader(user: string): string {
  const token = Buffer.from(`${user}:${password}`).toString("base64");
  return `Basic ${token}`;
}
