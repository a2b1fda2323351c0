import { allOrders, summarize, type Order } from "./orders";
import { escapeHtml, formatCents, relativeTime } from "./format";

function renderRow(order: Order): string {
  return `<tr data-id="${escapeHtml(order.id)}">
    <td>${escapeHtml(order.customer)}</td>
    <td class="status status-${order.status}">${order.status}</td>
    <td class="num">${formatCents(order.totalCents)}</td>
    <td title="${escapeHtml(order.createdAt)}">${relativeTime(order.createdAt)}</td>
  </tr>`;
}

async function boot(root: HTMLElement): Promise<void> {
  root.textContent = "Loading orders…";
  try {
    const orders = await allOrders();
    const counts = summarize(orders);
    const header = Object.entries(counts)
      .map(([status, count]) => `<span class="pill">${status}: ${count}</span>`)
      .join(" ");
    root.innerHTML = `<div class="summary">${header}</div>
      <table class="orders"><tbody>${orders.map(renderRow).join("")}</tbody></table>`;
  } catch (error) {
    root.textContent = `Could not load orders: ${(error as Error).message}`;
  }
}

const root = document.getElementById("app");
if (root) void boot(root);
