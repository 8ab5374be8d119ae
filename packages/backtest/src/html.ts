/**
 * The picture: one self-contained HTML page (inline SVG, no scripts, no CDN) with, per run and
 * symbol, the window close price, the consensus score (largest score/threshold ratio among warm
 * detectors; 1 = a detector's threshold) and the alerts, over the injected labels.
 */
import type { LabelledEvent } from './inject.js';
import type { ScoredWindow } from './run.js';

export interface PlotRun {
  readonly name: string;
  readonly events: readonly LabelledEvent[];
  readonly windows: readonly ScoredWindow[];
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const COLORS: Record<string, string> = {
  PRICE_SPIKE: '#2a9d8f',
  FLASH_CRASH: '#e63946',
  VOLUME_BURST: '#f4a261',
  VOLATILITY_REGIME_SHIFT: '#9b5de5',
  ONE_SIDED_FLOW: '#00b4d8',
  PUMP_PATTERN: '#ff006e',
  MARKET_WIDE_MOVE: '#6c757d',
  SPREAD_BLOWOUT: '#8d6e63',
  OTHER: '#333333',
};
const color = (t: string): string => COLORS[t] ?? '#333333';

function chart(run: PlotRun, symbol: string, interval: string): string {
  const ws = run.windows.filter((w) => w.symbol === symbol && w.interval === interval);
  if (ws.length === 0) return '';
  const width = 1200;
  const left = 70;
  const right = 10;
  const priceH = 150;
  const scoreH = 90;
  const gap = 18;
  const height = priceH + gap + scoreH + 22;
  const t0 = ws[0]!.startMs;
  const t1 = ws[ws.length - 1]!.startMs + 10_000;
  const x = (t: number): number => left + ((t - t0) / Math.max(1, t1 - t0)) * (width - left - right);
  const prices = ws.map((w) => w.close);
  const pMin = Math.min(...prices);
  const pMax = Math.max(...prices);
  const py = (p: number): number => 6 + (1 - (p - pMin) / Math.max(1e-12, pMax - pMin)) * (priceH - 12);
  const sMax = Math.max(3, Math.min(10, Math.max(...ws.map((w) => w.score))));
  const sy = (s: number): number => priceH + gap + (1 - Math.min(s, sMax) / sMax) * scoreH;
  const parts: string[] = [];
  for (const e of run.events.filter((ev) => ev.symbol === symbol)) {
    const a = x(e.startMs);
    const b = x(e.startMs + e.windows * 10_000);
    parts.push(`<rect x="${a.toFixed(1)}" y="0" width="${Math.max(1.5, b - a).toFixed(1)}" height="${priceH + gap + scoreH}" fill="${color(e.type)}" opacity="0.18"><title>injected ${e.type} at ${new Date(e.startMs).toISOString()}</title></rect>`);
  }
  parts.push(`<polyline fill="none" stroke="#1d3557" stroke-width="1" points="${ws.map((w) => `${x(w.startMs + 10_000).toFixed(1)},${py(w.close).toFixed(1)}`).join(' ')}"/>`);
  parts.push(`<line x1="${left}" x2="${width - right}" y1="${sy(1).toFixed(1)}" y2="${sy(1).toFixed(1)}" stroke="#999" stroke-dasharray="4 3"/>`);
  parts.push(`<polyline fill="none" stroke="#e76f51" stroke-width="1" points="${ws.map((w) => `${x(w.startMs + 10_000).toFixed(1)},${sy(w.score).toFixed(1)}`).join(' ')}"/>`);
  for (const w of ws.filter((v) => v.isAnomaly)) {
    const cx = x(w.startMs + 10_000).toFixed(1);
    parts.push(`<circle cx="${cx}" cy="${py(w.close).toFixed(1)}" r="4" fill="${color(w.type)}" stroke="#000" stroke-width="0.6"><title>${esc(`${new Date(w.startMs).toISOString()} ${w.type} severity ${w.severity}\n${w.reasons.join('\n')}`)}</title></circle>`);
  }
  parts.push(`<text x="4" y="12" font-size="11">${pMax.toPrecision(6)}</text><text x="4" y="${priceH - 2}" font-size="11">${pMin.toPrecision(6)}</text>`);
  parts.push(`<text x="4" y="${sy(1) + 4}" font-size="11">score 1</text><text x="4" y="${priceH + gap + 10}" font-size="11">${sMax.toFixed(0)}</text>`);
  parts.push(`<text x="${left}" y="${height - 4}" font-size="11">${new Date(t0).toISOString()}</text><text x="${width - right - 150}" y="${height - 4}" font-size="11">${new Date(t1).toISOString()}</text>`);
  return `<h3>${esc(run.name)} · ${esc(symbol)} ${esc(interval)}</h3><svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" style="background:#fff;border:1px solid #ddd">${parts.join('')}</svg>`;
}

export function renderHtml(title: string, summary: string, runs: readonly PlotRun[], interval = '10s'): string {
  const legend = Object.entries(COLORS)
    .map(([t, c]) => `<span style="display:inline-block;margin-right:12px"><span style="display:inline-block;width:10px;height:10px;background:${c};margin-right:4px"></span>${t}</span>`)
    .join('');
  const charts = runs.flatMap((r) => [...new Set(r.windows.map((w) => w.symbol))].sort().map((s) => chart(r, s, interval)));
  return `<!doctype html><html><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>body{font-family:system-ui,sans-serif;margin:20px;color:#222}pre{background:#f6f6f6;padding:10px;overflow:auto}h3{margin:18px 0 4px;font-size:14px}</style></head><body>
<h1>${esc(title)}</h1>
<p>Top of each chart: window close price (line), alerts (dots, colour = alert type; hover for reasons). Bottom: consensus score = largest score/threshold ratio among warm detectors (dashed line = 1, a detector's threshold). Shaded bands: injected labelled events (colour = injected type).</p>
<p>${legend}</p>
<pre>${esc(summary)}</pre>
${charts.join('\n')}
</body></html>
`;
}
