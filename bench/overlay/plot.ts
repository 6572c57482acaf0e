/**
 * docs/figures/churn.svg: delivery rate per simulated minute under churn, hand-written SVG (no plotting
 * dependency). A line with a dot per minute, the target as a dashed line, labelled axes. Pure: result in,
 * SVG text out.
 */
import { CHURN_DELIVERY_TARGET } from './figures.js';
import type { ScenarioResult } from './scenario.js';

const WIDTH = 720;
const HEIGHT = 360;
const MARGIN = { left: 64, right: 24, top: 48, bottom: 56 };

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A y range in percent that shows the data and the target, on whole-percent ticks. */
export function percentRange(values: readonly number[], target: number): { lo: number; hi: number; step: number } {
  const lowest = Math.min(target, ...values);
  let lo = Math.floor(lowest - 1);
  lo = Math.max(0, lo);
  const hi = 100;
  const span = hi - lo;
  const step = span <= 5 ? 1 : span <= 10 ? 2 : span <= 25 ? 5 : span <= 50 ? 10 : 20;
  lo = Math.max(0, hi - Math.ceil(span / step) * step);
  return { lo, hi, step };
}

export function churnSvg(r: ScenarioResult): string {
  const points = r.churn.map((m) => ({ minute: m.minute, percent: m.deliveryRate * 100 }));
  const target = CHURN_DELIVERY_TARGET * 100;
  const { lo, hi, step } = percentRange(
    points.map((p) => p.percent),
    target,
  );
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const maxMinute = Math.max(1, ...points.map((p) => p.minute));
  const x = (minute: number) => MARGIN.left + ((minute - 0) / maxMinute) * plotW;
  const y = (percent: number) => MARGIN.top + ((hi - percent) / (hi - lo)) * plotH;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`);
  parts.push(`<rect x="0" y="0" width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`);
  const title = `Delivery under churn: ${r.options.nodes} nodes, ${Math.round(r.options.churnFraction * 100)} % crash and join per minute`;
  parts.push(`<text x="${WIDTH / 2}" y="24" text-anchor="middle" font-size="15" font-weight="bold">${esc(title)}</text>`);
  // Grid and y ticks.
  for (let v = lo; v <= hi + 1e-9; v += step) {
    const yy = y(v).toFixed(1);
    parts.push(`<line x1="${MARGIN.left}" y1="${yy}" x2="${WIDTH - MARGIN.right}" y2="${yy}" stroke="#e0e0e0"/>`);
    parts.push(`<text x="${MARGIN.left - 8}" y="${yy}" text-anchor="end" dominant-baseline="middle">${v} %</text>`);
  }
  // x ticks: every 5 minutes (every minute when there are few).
  const xStep = maxMinute <= 10 ? 1 : 5;
  for (let m = 0; m <= maxMinute; m += xStep) {
    const xx = x(m).toFixed(1);
    parts.push(`<line x1="${xx}" y1="${MARGIN.top + plotH}" x2="${xx}" y2="${MARGIN.top + plotH + 5}" stroke="#333"/>`);
    parts.push(`<text x="${xx}" y="${MARGIN.top + plotH + 18}" text-anchor="middle">${m}</text>`);
  }
  // Axes.
  parts.push(`<line x1="${MARGIN.left}" y1="${MARGIN.top}" x2="${MARGIN.left}" y2="${MARGIN.top + plotH}" stroke="#333"/>`);
  parts.push(`<line x1="${MARGIN.left}" y1="${MARGIN.top + plotH}" x2="${WIDTH - MARGIN.right}" y2="${MARGIN.top + plotH}" stroke="#333"/>`);
  parts.push(`<text x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 14}" text-anchor="middle">simulated minute</text>`);
  parts.push(`<text x="16" y="${MARGIN.top + plotH / 2}" text-anchor="middle" transform="rotate(-90 16 ${MARGIN.top + plotH / 2})">messages acknowledged</text>`);
  // Target.
  const ty = y(target).toFixed(1);
  parts.push(`<line x1="${MARGIN.left}" y1="${ty}" x2="${WIDTH - MARGIN.right}" y2="${ty}" stroke="#c0392b" stroke-dasharray="6 4"/>`);
  parts.push(`<text x="${WIDTH - MARGIN.right - 4}" y="${(Number(ty) - 6).toFixed(1)}" text-anchor="end" fill="#c0392b">target ${target} %</text>`);
  // Data.
  if (points.length > 0) {
    const path = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p.minute).toFixed(1)},${y(p.percent).toFixed(1)}`).join(' ');
    parts.push(`<path d="${path}" fill="none" stroke="#2471a3" stroke-width="2"/>`);
    for (const p of points) {
      parts.push(`<circle cx="${x(p.minute).toFixed(1)}" cy="${y(p.percent).toFixed(1)}" r="3" fill="#2471a3"><title>minute ${p.minute}: ${p.percent.toFixed(2)} %</title></circle>`);
    }
  }
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
