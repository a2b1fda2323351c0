import { request } from "./api";
import { config } from "./config";

export type OrderStatus = "pending" | "packed" | "shipped" | "delivered" | "cancelled";

export interface Order {
  id: string;
  customer: string;
  status: OrderStatus;
  totalCents: number;
  createdAt: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export async function listOrders(status?: OrderStatus, cursor?: string): Promise<Page<Order>> {
  const params = new URLSearchParams({ limit: String(config.pageSize) });
  if (status) params.set("status", status);
  if (cursor) params.set("cursor", cursor);
  return request<Page<Order>>(`/orders?${params.toString()}`);
}

/** Walk every page of results; stops after `maxPages` to protect the UI. */
export async function allOrders(status?: OrderStatus, maxPages = 20): Promise<Order[]> {
  const result: Order[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < maxPages; page++) {
    const batch = await listOrders(status, cursor);
    result.push(...batch.items);
    if (!batch.nextCursor) break;
    cursor = batch.nextCursor;
  }
  return result;
}

export function summarize(orders: Order[]): Record<OrderStatus, number> {
  const counts: Record<OrderStatus, number> = {
    pending: 0,
    packed: 0,
    shipped: 0,
    delivered: 0,
    cancelled: 0,
  };
  for (const order of orders) counts[order.status] += 1;
  return counts;
}

export function cancelOrder(id: string): Promise<Order> {
  return request<Order>(`/orders/${encodeURIComponent(id)}/cancel`, { method: "POST" });
}
