const currency = new Intl.NumberFormat("en-GB", { style: "currency", currency: "EUR" });

export function formatCents(cents: number): string {
  return currency.format(cents / 100);
}

export function relativeTime(iso: string, now: Date = new Date()): string {
  const seconds = Math.round((now.getTime() - new Date(iso).getTime()) / 1000);
  const units: [string, number][] = [
    ["year", 31536000],
    ["month", 2592000],
    ["day", 86400],
    ["hour", 3600],
    ["minute", 60],
  ];
  for (const [name, size] of units) {
    const value = Math.floor(Math.abs(seconds) / size);
    if (value >= 1) {
      const label = value === 1 ? name : `${name}s`;
      return seconds >= 0 ? `${value} ${label} ago` : `in ${value} ${label}`;
    }
  }
  return "just now";
}

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}
