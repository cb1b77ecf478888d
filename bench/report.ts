/**
 * The rows of the report: each compares a measured case with its baseline from the same run (a
 * ratio of operations per second) against the target the design allows, and every baseline is shown
 * on its own row as well. Printed as a table, or as JSON with `--json`.
 */
import type { Measurement } from './harness';

/**
 * `about`: "~x", holds at 0.85·x or more (faster is fine); `range`: "a–b", holds at `low` or more;
 * `atLeast`: "≥x", and with `p99Within` the case's p99 must also stay within that multiple of its
 * baseline's p99.
 */
export type Target =
  | { kind: 'about'; value: number }
  | { kind: 'range'; low: number; high: number }
  | { kind: 'atLeast'; value: number; p99Within?: number };

export interface RowSpec {
  /** Unique in the report; the case's id when this is the case's main row. */
  id: string;
  /** The heading the row is printed under. */
  section: string;
  caseId: string;
  baselineId?: string;
  target?: Target;
  /** Why the ratio means what it means, when that is not obvious. */
  note?: string;
}

export interface ResultRow {
  id: string;
  section: string;
  label: string;
  ops_per_sec: number;
  p50_ms: number;
  p99_ms: number;
  baseline: string | null;
  ratio: number | null;
  errors: number;
  error_codes: Record<string, number>;
  target: string | null;
  holds: boolean | null;
  /** p99 of the case / p99 of its baseline, for rows with a p99 target. */
  p99_ratio?: number;
  note?: string;
  load?: { label: string; ops_per_sec: number; errors: number; error_codes: Record<string, number> };
  first_exception?: string;
}

export function describeTarget(target: Target): string {
  if (target.kind === 'about') return `~${target.value}`;
  if (target.kind === 'range') return `${target.low}–${target.high}`;
  return `≥${target.value}` + (target.p99Within ? `, p99 ≤ ${target.p99Within}×` : '');
}

function holds(target: Target, ratio: number, p99Ratio: number): boolean {
  if (!Number.isFinite(ratio)) return false;
  if (target.kind === 'about') return ratio >= 0.85 * target.value;
  if (target.kind === 'range') return ratio >= target.low;
  return ratio >= target.value && (target.p99Within === undefined || p99Ratio <= target.p99Within);
}

/** The heading of the rows of measured cases that are no row's subject: the baselines. */
export const BASELINES_SECTION = 'Baselines (and the other sides of the comparisons above)';

const round = (value: number, digits: number) => (Number.isFinite(value) ? Number(value.toFixed(digits)) : value);

/**
 * The report's rows: `specs` whose case (and baseline) were measured, then one row for every measured
 * case that no spec has as its subject (the baselines). Specs that cannot be computed are returned
 * in `missing`.
 */
export function buildRows(
  specs: RowSpec[],
  measured: Map<string, Measurement>,
): { rows: ResultRow[]; missing: RowSpec[] } {
  const rows: ResultRow[] = [];
  const missing: RowSpec[] = [];
  const toRow = (id: string, section: string, m: Measurement): ResultRow => {
    const row: ResultRow = {
      id,
      section,
      label: m.label,
      ops_per_sec: round(m.opsPerSec, 1),
      p50_ms: round(m.p50Ms, 3),
      p99_ms: round(m.p99Ms, 3),
      baseline: null,
      ratio: null,
      errors: m.errors,
      error_codes: m.errorCodes,
      target: null,
      holds: null,
    };
    if (m.load) {
      row.load = {
        label: m.load.label,
        ops_per_sec: round(m.load.opsPerSec, 1),
        errors: m.load.errors,
        error_codes: m.load.errorCodes,
      };
    }
    const exception = m.firstException ?? m.load?.firstException;
    if (exception) row.first_exception = exception;
    return row;
  };
  const subjects = new Set<string>();
  for (const spec of specs) {
    const subject = measured.get(spec.caseId);
    const baseline = spec.baselineId === undefined ? undefined : measured.get(spec.baselineId);
    if (!subject || (spec.baselineId !== undefined && !baseline)) {
      missing.push(spec);
      continue;
    }
    subjects.add(spec.caseId);
    const row = toRow(spec.id, spec.section, subject);
    if (spec.note) row.note = spec.note;
    if (baseline) {
      row.baseline = baseline.id;
      row.ratio = round(subject.opsPerSec / baseline.opsPerSec, 3);
      const p99Ratio = subject.p99Ms / baseline.p99Ms;
      if (spec.target?.kind === 'atLeast' && spec.target.p99Within !== undefined) row.p99_ratio = round(p99Ratio, 2);
      if (spec.target) {
        row.target = describeTarget(spec.target);
        row.holds = holds(spec.target, subject.opsPerSec / baseline.opsPerSec, p99Ratio);
      }
    }
    rows.push(row);
  }
  for (const m of measured.values()) if (!subjects.has(m.id)) rows.push(toRow(m.id, BASELINES_SECTION, m));
  return { rows, missing };
}

function formatNumber(value: number, digits: number): string {
  if (!Number.isFinite(value)) return '—';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function formatRatio(ratio: number): string {
  return formatNumber(ratio, ratio >= 10 ? 1 : 2);
}

/** The table, one line per row, then the labels, loads and errors that did not fit in it. */
export function printRows(rows: ResultRow[], print: (line: string) => void): void {
  const idWidth = Math.max(4, ...rows.map((r) => r.id.length));
  const baselineWidth = Math.max(8, ...rows.map((r) => (r.baseline ?? '').length));
  const header =
    `${'case'.padEnd(idWidth)}  ${'ops/s'.padStart(10)}  ${'p50 ms'.padStart(8)}  ${'p99 ms'.padStart(8)}  ` +
    `${'errors'.padStart(6)}  ${'baseline'.padEnd(baselineWidth)}  ${'ratio'.padStart(7)}  ${'target'.padEnd(18)}  holds`;
  print(header);
  let section: string | null = null;
  for (const row of rows) {
    if (row.section !== section) {
      section = row.section;
      print('-'.repeat(header.length));
      print(section);
    }
    const target = row.target ?? '';
    const p99 = row.p99_ratio === undefined ? '' : ` (p99 ${formatNumber(row.p99_ratio, 1)}×)`;
    const verdict = row.holds === null ? '' : row.holds ? 'yes' : 'NO';
    print(
      `${row.id.padEnd(idWidth)}  ${formatNumber(row.ops_per_sec, 0).padStart(10)}  ` +
        `${formatNumber(row.p50_ms, 3).padStart(8)}  ${formatNumber(row.p99_ms, 3).padStart(8)}  ` +
        `${String(row.errors).padStart(6)}  ${(row.baseline ?? '').padEnd(baselineWidth)}  ` +
        `${(row.ratio === null ? '' : formatRatio(row.ratio)).padStart(7)}  ${target.padEnd(18)}  ${verdict}${p99}`,
    );
  }
  print('');
  print('What each case is:');
  const seen = new Set<string>();
  for (const row of rows) {
    const lines: string[] = [];
    if (!seen.has(row.label)) lines.push(row.label);
    seen.add(row.label);
    if (row.note) lines.push(row.note);
    if (row.load) {
      const codes = Object.entries(row.load.error_codes).map(([code, n]) => `${code} ${n}`);
      lines.push(
        `beside it: ${row.load.label}, ${formatNumber(row.load.ops_per_sec, 1)}/s` +
          (codes.length ? `, errors: ${codes.join(', ')}` : ', no errors'),
      );
    }
    if (row.errors > 0) {
      const codes = Object.entries(row.error_codes).map(([code, n]) => `${code} ${n}`);
      lines.push(`errors: ${codes.join(', ')}`);
    }
    if (row.first_exception) lines.push(`first exception: ${row.first_exception}`);
    if (lines.length === 0) continue;
    print(`  ${row.id.padEnd(idWidth)}  ${lines[0]}`);
    for (const line of lines.slice(1)) print(`  ${''.padEnd(idWidth)}  ${line}`);
  }
}
