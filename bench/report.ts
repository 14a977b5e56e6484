/**
 * Turning results into what people read: a plain-text table on the terminal, Markdown for
 * `bench/results/latest.md`; the targets themselves are checked in targets.ts.
 */
import type { PeerResult } from "./scenario.ts";

/** One group of peers measured on the same input; `unit` decides how times are shown. */
export interface Scenario {
  id: string;
  title: string;
  unit: "s" | "ms";
  results: PeerResult[];
}

/** A goal from the issue and whether this run met it (null: not measurable in this run). */
export interface Target {
  goal: string;
  pass: boolean | null;
  detail: string;
}

/** Everything one benchmark run produced; written as JSON. */
export interface BenchReport {
  startedAt: string;
  durationS: number;
  host: Record<string, string | number>;
  options: Record<string, string | number | boolean>;
  fixture: Record<string, string | number>;
  scenarios: Scenario[];
  ratios: Record<string, number | null>;
  targets: Target[];
}

/** The result of peer `id` in scenario `s`, if both exist. */
export const find = (s: Scenario | undefined, id: string) => s?.results.find((r) => r.id === id);

/** `a`'s median over `b`'s, or null when either has none. */
export function ratio(a: PeerResult | undefined, b: PeerResult | undefined): number | null {
  if (a?.medianMs === undefined || b?.medianMs === undefined || b.medianMs === 0) return null;
  return a.medianMs / b.medianMs;
}

/** A ratio as `1.23x`, or `–` for none. */
export const fmtRatio = (r: number | null) => (r === null ? "–" : `${r.toFixed(2)}x`);

function fmtTime(ms: number | undefined, unit: "s" | "ms"): string {
  if (ms === undefined) return "–";
  return unit === "s" ? (ms / 1000).toFixed(2) : ms.toFixed(1);
}

function fmtRss(r: PeerResult): string {
  if (r.status !== "ok") return "–";
  const mb = (kb: number) => (kb / 1024).toFixed(0);
  const own = r.peakRssKb == null ? "?" : mb(r.peakRssKb);
  return r.serverPeakRssKb === undefined ? own : `${own} (+daemon ${mb(r.serverPeakRssKb)})`;
}

/** The isula-versus-others ratios of medians, keyed `isula/<peer>` per scenario. */
export function computeRatios(scenarios: Scenario[]): Record<string, number | null> {
  const ratios: Record<string, number | null> = {};
  for (const scenario of scenarios) {
    const subject = scenario.results.find((r) => r.role === "subject");
    if (!subject) continue;
    for (const other of scenario.results) {
      if (other === subject || other.role === "info") continue;
      ratios[`${scenario.id}: isula/${other.id}`] = ratio(subject, other);
    }
  }
  return ratios;
}

/** Rows of one scenario: label, status, min, median, +sync, RSS, vs floor, isula ÷ peer. */
function rows(scenario: Scenario): string[][] {
  const floor = scenario.results.find((r) => r.role === "floor");
  const subject = scenario.results.find((r) => r.role === "subject");
  return scenario.results.map((r) => [
    r.label,
    r.busyRuns ? `${r.status} (${r.busyRuns} busy)` : r.status,
    fmtTime(r.minMs, scenario.unit),
    fmtTime(r.medianMs, scenario.unit),
    fmtTime(r.medianWithSyncMs, scenario.unit),
    fmtRss(r),
    floor ? fmtRatio(ratio(r, floor)) : "–",
    subject && r !== subject && r.role !== "info" ? fmtRatio(ratio(subject, r)) : "–",
  ]);
}

function header(unit: "s" | "ms"): string[] {
  return [
    "peer",
    "status",
    `min ${unit}`,
    `median ${unit}`,
    `+sync ${unit}`,
    "peak RSS MB",
    "÷ floor",
    "isula ÷ it",
  ];
}

/** A fixed-width table for the terminal. */
export function formatText(report: BenchReport): string {
  const out: string[] = [];
  for (const scenario of report.scenarios) {
    const table = [header(scenario.unit), ...rows(scenario)];
    const widths = table[0]?.map((_, c) => Math.max(...table.map((row) => (row[c] ?? "").length)));
    out.push("", `== ${scenario.title}`);
    for (const row of table) {
      out.push(
        row
          .map((cell, c) => cell.padEnd(widths?.[c] ?? 0))
          .join("  ")
          .trimEnd(),
      );
    }
  }
  out.push("", "== targets (issues #2 and #3)");
  for (const t of report.targets) {
    const mark = t.pass === null ? "n/a " : t.pass ? "PASS" : "FAIL";
    out.push(`${mark}  ${t.goal}: ${t.detail}`);
  }
  return out.join("\n");
}

const NOTES = [
  "Times are wall times of the command; `+sync` adds the `sync` run right after it (the",
  "writeback the tool left behind). `÷ floor` is this row's median over the sequential floor's",
  "(tar for load, curl | gunzip | tar for pull); `isula ÷ it` is isula's median over this row's",
  "(below 1: isula is faster). `busy`: runs that started while the disk was still busy with",
  "other writes, less reliable.",
].join("\n");

/** A Markdown table with padded columns, as the project's formatter (biome) writes them. */
function markdownTable(head: string[], body: string[][]): string[] {
  // A `|` inside a cell (the curl | gunzip | tar floor) would end the cell: escape it.
  const table = [head, ...body].map((row) => row.map((cell) => cell.replaceAll("|", "\\|")));
  const widths = head.map((_, c) => Math.max(3, ...table.map((row) => (row[c] ?? "").length)));
  const line = (row: string[]) =>
    `| ${row.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join(" | ")} |`;
  const [first = [], ...rest] = table;
  return [line(first), line(widths.map((w) => "-".repeat(w))), ...rest.map(line)];
}

/** Markdown for `bench/results/latest.md`, including failure output of peers that broke. */
export function formatMarkdown(report: BenchReport): string {
  const out = [`# Benchmark results (${report.startedAt})`, ""];
  out.push(
    `Host: ${Object.entries(report.host)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ")}.`,
  );
  out.push(
    `Options: ${Object.entries(report.options)
      .map(([k, v]) => `${k}=${v}`)
      .join(", ")}.`,
  );
  out.push(
    `Fixture: ${Object.entries(report.fixture)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ")}.`,
  );
  out.push(`Took ${report.durationS.toFixed(0)} s.`, "", NOTES);
  for (const scenario of report.scenarios) {
    out.push("", `## ${scenario.title}`, "");
    out.push(...markdownTable(header(scenario.unit), rows(scenario)));
    for (const r of scenario.results.filter((x) => x.reason)) {
      out.push("", `**${r.label}** (${r.status}):`, "", "```", r.reason ?? "", "```");
    }
  }
  const targets = report.targets.map((t) => {
    return [t.goal, t.pass === null ? "n/a" : t.pass ? "pass" : "FAIL", t.detail];
  });
  out.push(
    "",
    "## Targets (issues #2 and #3)",
    "",
    ...markdownTable(["goal", "result", "measured"], targets),
  );
  return `${out.join("\n")}\n`;
}
